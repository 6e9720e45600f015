/*
 * dev-config.h: the device core's build configuration for this port (firmware-stub/core/
 * port-config.h reads it through -DDEV_PORT_CONFIG, given to the core and the port alike by
 * port.mk). EC P-256 keys only, and a chain of at most 2 KB (the station's P-256 CA gives about
 * 1.1 KB for device and issuing CA certificate): the core's buffers shrink accordingly.
 */
#ifndef PORT_DEV_CONFIG_H
#define PORT_DEV_CONFIG_H

#define DEV_CFG_KEY_EC_P256 1
#define DEV_CFG_KEY_EC_P384 0
#define DEV_CFG_KEY_RSA_2048 0
#define DEV_CFG_MAX_CHAIN 2048

#endif
