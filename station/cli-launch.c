/*
 * cli-launch.c: how every command starts the signer (PRODUCT §4 privilege separation). The
 * launcher runs before any board byte is read: it names the profile and the mode, and in
 * service mode (started as root) has the signer become its own user; the board-facing process
 * then drops to the station user (cli-run.c).
 */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "signer.h"

int
cli_signer(const char *cmd, const char *profile, int mode, const char *operator_name,
    struct signer **out)
{
	struct signer_opts o = { 0 };
	struct signer_err se;

	o.mode = mode;
	o.station_uid = (long)getuid();
	o.operator_name = operator_name;
	if (signer_start(profile, &o, out, &se) != 0) {
		fprintf(stderr, "%s: the signer did not start: %s\n", cmd, se.text);
		return -1;
	}
	return 0;
}
