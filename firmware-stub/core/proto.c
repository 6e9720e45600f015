/*
 * proto.c: names of codec return codes, protocol error codes and lifecycle states (proto.h).
 * Portable C99, freestanding.
 */
#include "proto.h"

const char *
proto_strerror(int rc)
{
	switch (rc) {
	case PRC_OK: return "success";
	case PRC_SHORT: return "input ended before a field did";
	case PRC_TOO_LONG: return "a length is above its maximum";
	case PRC_TRAILING: return "unexpected bytes after the last field";
	case PRC_CRC: return "frame CRC mismatch";
	case PRC_VERSION: return "unsupported protocol version";
	case PRC_COBS: return "malformed COBS block";
	case PRC_TYPE: return "unexpected message type";
	case PRC_CHARSET: return "string holds a byte outside printable ASCII";
	case PRC_SPACE: return "output buffer too small";
	case PRC_VALUE: return "field value out of range";
	default: return "unknown codec error";
	}
}

/* P-30: these names are what logs and the audit trail show; they never change. */
const char *
proto_errname(unsigned code)
{
	switch (code) {
	case PERR_UNKNOWN_TYPE: return "UNKNOWN_TYPE";
	case PERR_BAD_LENGTH: return "BAD_LENGTH";
	case PERR_BAD_STATE: return "BAD_STATE";
	case PERR_LOCKED: return "LOCKED";
	case PERR_BAD_ARG: return "BAD_ARG";
	case PERR_NO_OBJECT: return "NO_OBJECT";
	case PERR_KEY_MISMATCH: return "KEY_MISMATCH";
	case PERR_CHAIN_INVALID: return "CHAIN_INVALID";
	case PERR_UNSUPPORTED: return "UNSUPPORTED";
	case PERR_STORAGE: return "STORAGE";
	case PERR_CRYPTO: return "CRYPTO";
	case PERR_BAD_VERSION: return "BAD_VERSION";
	case PERR_INTERNAL: return "INTERNAL";
	default: return "UNKNOWN";
	}
}

const char *
proto_statename(unsigned state)
{
	switch (state) {
	case ST_BLANK: return "BLANK";
	case ST_IDENTIFIED: return "IDENTIFIED";
	case ST_KEYED: return "KEYED";
	case ST_CERTIFIED: return "CERTIFIED";
	case ST_LOCKED: return "LOCKED";
	default: return "UNKNOWN";
	}
}
