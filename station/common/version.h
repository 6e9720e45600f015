/* version.h: the station's release version (docs/scripting-guide.md: in the start event). */
#ifndef VERSION_H
#define VERSION_H

#define STATION_VERSION "0.5.0"

#endif
