/* remedy.c: one line of what to do per failure code; see remedy.h. */
#include "remedy.h"

#include <stddef.h>
#include <string.h>

struct remedy {
	const char *code;
	const char *what;
	int stops; /* the line pauses: a station problem or the lot is done */
};

/* Keep each line short enough for a fixture tile (at most 60 characters) and in the words of
 * docs/operator-guide.md, which test-remedy compares with this table. */
static const struct remedy table[] = {
	{ "E_NO_ANSWER", "re-seat the board; check it is powered", 0 },
	{ "E_DISCONNECTED", "re-seat the board", 0 },
	{ "E_LINK", "check the fixture cable, then re-seat the board", 0 },
	{ "E_PORT", "check the fixture's cable or device server", 0 },
	{ "E_FIRMWARE", "flash the release firmware, then re-seat", 0 },
	{ "E_PROTOCOL", "flash the release firmware, then re-seat", 0 },
	{ "E_MODEL", "wrong board for this line: take it to its line", 0 },
	{ "E_CSR", "set it aside for the firmware team", 0 },
	{ "E_PROVE", "set it aside for the firmware team", 0 },
	{ "E_INSTALL", "set it aside for the firmware team", 0 },
	{ "E_PASSWORD_CHECK", "set it aside for the firmware team", 0 },
	{ "E_CREDENTIAL_CHECK", "set it aside for the firmware team", 0 },
	{ "E_BOARD_REFUSED", "set it aside for the firmware team", 0 },
	{ "E_LOCK", "red bin: it must never ship", 0 },
	{ "E_LOCK_WRITES", "red bin: it must never ship", 0 },
	{ "E_RESUME", "red bin: it must never ship", 0 },
	{ "E_QUARANTINED", "red bin: it must never ship", 0 },
	{ "E_MISMATCH", "red bin: it does not match its record; tell the engineer", 0 },
	{ "E_DUPLICATE", "red bin: its chip ID is already recorded", 0 },
	{ "E_LOCKED_UNKNOWN", "red bin: locked but not in the record", 0 },
	{ "E_NOT_PROVISIONED", "not provisioned: send it back to the line", 0 },
	{ "E_CHIP_LIMIT", "set it aside for the engineer: it failed too often", 0 },
	{ "E_QUOTA", "stop: the lot's quota is used up; call the engineer", 1 },
	{ "E_LOT", "stop: the lot is closed; ask for the next lot", 1 },
	{ "E_FAILURES", "stop the line and call the engineer", 1 },
	{ "E_CREDENTIAL", "stop: firmware lacks a credential; call the engineer", 1 },
	{ "E_HSM", "station problem: stop the line, call the engineer", 1 },
	{ "E_DB", "station problem: stop the line, call the engineer", 1 },
	{ "E_LABEL", "station problem: stop the line, call the engineer", 1 },
	{ "E_SIGNER", "station problem: stop the line, call the engineer", 1 },
	{ "E_RANDOM", "station problem: stop the line, call the engineer", 1 },
	{ "E_INTERNAL", "station problem: stop the line, call the engineer", 1 },
	{ "E_REFUSED", "set it aside for the engineer", 0 },
};

const char *
remedy_code_at(size_t i)
{
	return i < sizeof(table) / sizeof(table[0]) ? table[i].code : NULL;
}

static const struct remedy *
find(const char *code)
{
	size_t i;

	for (i = 0; code != NULL && i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].code, code) == 0)
			return &table[i];
	return NULL;
}

const char *
remedy_for(const char *code)
{
	const struct remedy *r = find(code);

	return r != NULL ? r->what : "set it aside for the engineer";
}

int
remedy_stops_line(const char *code)
{
	const struct remedy *r = find(code);

	return r != NULL && r->stops;
}
