/*
 * conform-vectors.c: the test vectors of docs/protocol.md section 7, in one place: the unit tests
 * (tests/unit/test-frame.c, test-msg.c) check the codec against them and `station conform`
 * checks its own codec and then sends the request vectors to a board. Keep the hex strings
 * identical to the document.
 */
#include "conform-vectors.h"

#include <stdint.h>
#include <string.h>

#include "proto.h"
#include "util.h"

/* Section 7.3: every message type, as (type, seq, CRC, payload, wire). */
const struct cv_frame cv_frames[] = {
	{ "V-1 HELLO req", 0x01, 0x0001, 0x463c3181u, "",
	    "03 01 01 02 01 01 05 46 3c 31 81 00" },
	{ "V-2 HELLO rsp", 0x81, 0x0001, 0x3fc9133eu,
	    "01 00 00 00 00 01 01 04 00 0d 74 68 65 72 6d 6f 73 74 61 74 2d 76 32 01 42 05 31 2e "
	    "34 2e 32 00 08 a1 b2 c3 d4 e5 f6 07 18 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e "
	    "0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f",
	    "03 01 81 02 01 03 49 01 01 01 01 04 01 01 04 17 0d 74 68 65 72 6d 6f 73 74 61 74 2d "
	    "76 32 01 42 05 31 2e 34 2e 32 0a 08 a1 b2 c3 d4 e5 f6 07 18 24 01 02 03 04 05 06 07 "
	    "08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 3f c9 13 3e "
	    "00" },
	{ "V-3 SET_IDENTITY req", 0x02, 0x0002, 0x13f4a52fu,
	    "09 53 4e 2d 30 30 30 31 32 33 10 63 6f 72 72 65 63 74 20 68 6f 72 73 65 20 34 32 00 01 86 a0",
	    "03 01 02 02 02 1d 1f 09 53 4e 2d 30 30 30 31 32 33 10 63 6f 72 72 65 63 74 20 68 6f "
	    "72 73 65 20 34 32 08 01 86 a0 13 f4 a5 2f 00" },
	{ "V-4 SET_IDENTITY rsp", 0x82, 0x0002, 0xb23c459au, "",
	    "03 01 82 02 02 01 05 b2 3c 45 9a 00" },
	{ "V-5 GEN_KEY req", 0x03, 0x0003, 0xa8f6b08cu,
	    "01 10 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f",
	    "03 01 03 02 03 18 12 01 10 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f a8 f6 b0 8c 00" },
	{ "V-6 GEN_KEY rsp", 0x83, 0x0003, 0xd09bc7c8u, "01 85",
	    "03 01 83 02 03 08 02 01 85 d0 9b c7 c8 00" },
	{ "V-7 READ_OBJECT req", 0x04, 0x0004, 0xbba4db95u, "01 00 00 01 80 03 f0",
	    "03 01 04 02 04 03 07 01 01 09 01 80 03 f0 bb a4 db 95 00" },
	{ "V-8 READ_OBJECT rsp", 0x84, 0x0004, 0x6187b4b0u,
	    "01 00 00 01 85 00 00 01 80 00 05 de ad be ef 00",
	    "03 01 84 02 04 03 10 01 01 03 01 85 01 03 01 80 06 05 de ad be ef 05 61 87 b4 b0 00" },
	{ "V-9 WRITE_OBJECT req", 0x05, 0x0005, 0x20087ec9u,
	    "02 00 00 03 f4 00 00 03 f0 00 04 a0 a1 a2 a3",
	    "03 01 05 02 05 03 0f 02 01 03 03 f4 01 03 03 f0 0a 04 a0 a1 a2 a3 20 08 7e c9 00" },
	{ "V-10 WRITE_OBJECT rsp", 0x85, 0x0005, 0x16cfaae9u, "00 00 03 f4",
	    "03 01 85 02 05 02 04 01 07 03 f4 16 cf aa e9 00" },
	{ "V-11 INSTALL req", 0x06, 0x0006, 0x67c603a1u,
	    "02 00 00 03 f4 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35 36 "
	    "37 38 39 3a 3b 3c 3d 3e 3f",
	    "03 01 06 02 06 03 25 02 01 27 03 f4 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f "
	    "30 31 32 33 34 35 36 37 38 39 3a 3b 3c 3d 3e 3f 67 c6 03 a1 00" },
	{ "V-12 INSTALL rsp", 0x86, 0x0006, 0xe5a77232u, "03 00",
	    "03 01 86 02 06 03 02 03 05 e5 a7 72 32 00" },
	{ "V-13 PROVE req", 0x07, 0x0007, 0x78060a9fu,
	    "10 c0 c1 c2 c3 c4 c5 c6 c7 c8 c9 ca cb cc cd ce cf",
	    "03 01 07 02 07 17 11 10 c0 c1 c2 c3 c4 c5 c6 c7 c8 c9 ca cb cc cd ce cf 78 06 0a 9f 00" },
	{ "V-14 PROVE rsp", 0x87, 0x0007, 0x69c9d43bu, "00 08 30 06 02 01 01 02 01 02",
	    "03 01 87 02 07 02 0a 0e 08 30 06 02 01 01 02 01 02 69 c9 d4 3b 00" },
	{ "V-15 CONFIRM_PASSWORD req", 0x08, 0x0008, 0x09c9529bu,
	    "10 63 6f 72 72 65 63 74 20 68 6f 72 73 65 20 34 32",
	    "03 01 08 02 08 17 11 10 63 6f 72 72 65 63 74 20 68 6f 72 73 65 20 34 32 09 c9 52 9b 00" },
	{ "V-16 CONFIRM_PASSWORD rsp", 0x88, 0x0008, 0x62506b47u, "01",
	    "03 01 88 02 08 07 01 01 62 50 6b 47 00" },
	{ "V-17 LOCK req", 0x09, 0x0009, 0x785f2bf8u, "",
	    "03 01 09 02 09 01 05 78 5f 2b f8 00" },
	{ "V-18 LOCK rsp", 0x89, 0x0009, 0xa9f9335bu, "04 01",
	    "03 01 89 02 09 08 02 04 01 a9 f9 33 5b 00" },
	{ "V-19 LOCK req again", 0x09, 0x000a, 0x7a1995a1u, "",
	    "03 01 09 02 0a 01 05 7a 19 95 a1 00" },
	{ "V-20 ERROR LOCKED", 0xff, 0x000a, 0xc9dce380u,
	    "00 04 09 30 62 6f 61 72 64 20 69 73 20 6c 6f 63 6b 65 64 3b 20 70 72 6f 76 69 73 69 "
	    "6f 6e 69 6e 67 20 77 72 69 74 65 73 20 61 72 65 20 72 65 66 75 73 65 64",
	    "03 01 ff 02 0a 02 34 38 04 09 30 62 6f 61 72 64 20 69 73 20 6c 6f 63 6b 65 64 3b 20 "
	    "70 72 6f 76 69 73 69 6f 6e 69 6e 67 20 77 72 69 74 65 73 20 61 72 65 20 72 65 66 75 "
	    "73 65 64 c9 dc e3 80 00" },
	{ "V-21 unknown type", 0x42, 0x000b, 0x54f896ceu, "",
	    "03 01 42 02 0b 01 05 54 f8 96 ce 00" },
	{ "V-22 ERROR UNKNOWN_TYPE", 0xff, 0x000b, 0x96dbe61fu,
	    "00 01 42 14 75 6e 6b 6e 6f 77 6e 20 72 65 71 75 65 73 74 20 74 79 70 65",
	    "03 01 ff 02 0b 02 18 1c 01 42 14 75 6e 6b 6e 6f 77 6e 20 72 65 71 75 65 73 74 20 74 "
	    "79 70 65 96 db e6 1f 00" },
	{ "V-23 HELLO req seq ffff", 0x01, 0xffff, 0x276369aau, "",
	    "05 01 01 ff ff 01 05 27 63 69 aa 00" },
	{ "V-24 SET_CREDENTIAL req wifi", 0x0a, 0x000c, 0x2c83c0a7u,
	    "01 0a 54 48 32 2d 37 4b 33 4d 39 51 03 10 63 6f 72 72 65 63 74 20 68 6f 72 73 65 20 34 "
	    "32",
	    "03 01 0a 02 0c 24 1e 01 0a 54 48 32 2d 37 4b 33 4d 39 51 03 10 63 6f 72 72 65 63 74 20 "
	    "68 6f 72 73 65 20 34 32 2c 83 c0 a7 00" },
	{ "V-25 SET_CREDENTIAL rsp", 0x8a, 0x000c, 0x88d22351u,
	    "",
	    "03 01 8a 02 0c 01 05 88 d2 23 51 00" },
	{ "V-26 SET_CREDENTIAL req matter", 0x0a, 0x000d, 0x852a1a2cu,
	    "02 0f 00 00 00 03 e8 10 53 50 41 4b 45 32 50 20 4b 65 79 20 53 61 6c 74 00 01 02 03 04 "
	    "05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 04 40 "
	    "41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50 51 52 53 54 55 56 57 58 59 5a 5b 5c 5d "
	    "5e 5f 60 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75 76 77 78 79 7a "
	    "7b 7c 7d 7e 7f",
	    "03 01 0a 02 0d 04 79 02 0f 01 01 14 03 e8 10 53 50 41 4b 45 32 50 20 4b 65 79 20 53 61 "
	    "6c 74 65 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a "
	    "1b 1c 1d 1e 1f 04 40 41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50 51 52 53 54 55 56 "
	    "57 58 59 5a 5b 5c 5d 5e 5f 60 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 "
	    "74 75 76 77 78 79 7a 7b 7c 7d 7e 7f 85 2a 1a 2c 00" },
	{ "V-27 SET_CREDENTIAL rsp", 0x8a, 0x000d, 0x89104966u,
	    "",
	    "03 01 8a 02 0d 01 05 89 10 49 66 00" },
	{ "V-28 CONFIRM_CREDENTIAL req wifi", 0x0b, 0x000e, 0x8ef8f689u,
	    "01 0a 54 48 32 2d 37 4b 33 4d 39 51 03 10 63 6f 72 72 65 63 74 20 68 6f 72 73 65 20 34 "
	    "32",
	    "03 01 0b 02 0e 24 1e 01 0a 54 48 32 2d 37 4b 33 4d 39 51 03 10 63 6f 72 72 65 63 74 20 "
	    "68 6f 72 73 65 20 34 32 8e f8 f6 89 00" },
	{ "V-29 CONFIRM_CREDENTIAL rsp", 0x8b, 0x000e, 0xc1af4635u,
	    "01",
	    "03 01 8b 02 0e 07 01 01 c1 af 46 35 00" },
	{ "V-30 CONFIRM_CREDENTIAL req matter", 0x0b, 0x000f, 0x3c79fe5du,
	    "02 0f 00 00 00 03 e8 10 53 50 41 4b 45 32 50 20 4b 65 79 20 53 61 6c 74 00 01 02 03 04 "
	    "05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 04 40 "
	    "41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50 51 52 53 54 55 56 57 58 59 5a 5b 5c 5d "
	    "5e 5f 60 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75 76 77 78 79 7a "
	    "7b 7c 7d 7e 7f",
	    "03 01 0b 02 0f 04 79 02 0f 01 01 14 03 e8 10 53 50 41 4b 45 32 50 20 4b 65 79 20 53 61 "
	    "6c 74 65 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a "
	    "1b 1c 1d 1e 1f 04 40 41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50 51 52 53 54 55 56 "
	    "57 58 59 5a 5b 5c 5d 5e 5f 60 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 "
	    "74 75 76 77 78 79 7a 7b 7c 7d 7e 7f 3c 79 fe 5d 00" },
	{ "V-31 CONFIRM_CREDENTIAL rsp", 0x8b, 0x000f, 0x79132150u,
	    "01",
	    "03 01 8b 02 0f 07 01 01 79 13 21 50 00" },
};
const size_t cv_nframes = sizeof(cv_frames) / sizeof(cv_frames[0]);

/* Section 7.4: invalid frames X-1..X-8 (X-9..X-11 are runs of bytes, built in code). */
const struct cv_bad_frame cv_bad_frames[] = {
	{ "X-1", "03 01 01 02 01 01 05 46 3c 31 80 00", PRC_CRC },
	{ "X-2", "03 02 01 02 01 01 05 c0 a8 43 2f 00", PRC_VERSION },
	{ "X-3", "01 02 01 02 01 01 05 8d 60 e2 24 00", PRC_VERSION },
	{ "X-4", "05 01 02 00", PRC_COBS },
	{ "X-5", "03 01 01 00", PRC_SHORT },
	{ "X-6", "03 01 01 02 01 06 01 31 3b 01 17 00", PRC_SHORT },
	{ "X-7", "03 01 01 02 01 01 06 46 3c 31 81 55 00", PRC_TRAILING },
	{ "X-8", "03 01 01 08 01 04 01 55 57 c4 13 00", PRC_TOO_LONG },
};
const size_t cv_nbad_frames = sizeof(cv_bad_frames) / sizeof(cv_bad_frames[0]);

/* Section 7.5: invalid payloads, with the type of the message whose decoder refuses them
 * (requests 0x01..0x0b; replies: 0x84 READ_OBJECT, 0x86 state, 0x88 CONFIRM_PASSWORD,
 * 0x8b CONFIRM_CREDENTIAL, 0xff ERROR). */
const struct cv_bad_payload cv_bad_payloads[] = {
	{ "Y-1", 0x01, "00", PRC_TRAILING },
	{ "Y-2", 0x02, "09 53 4e 2d 30 30 30 31 32 33 07 73 68 6f 72 74 21 21 00 01 86 a0", PRC_VALUE },
	{ "Y-3", 0x02, "02 41 7f 08 61 61 61 61 61 61 61 61 00 00 00 01", PRC_CHARSET },
	{ "Y-4", 0x02, "01 41 08 61 61 61 61 61 61 61 61 00 00 00 00", PRC_VALUE },
	{ "Y-5", 0x02, "21 41", PRC_TOO_LONG },
	{ "Y-6", 0x03, "04 10 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f", PRC_VALUE },
	{ "Y-7", 0x03, "01 21", PRC_TOO_LONG },
	{ "Y-8", 0x03, "01 10 10 11", PRC_SHORT },
	{ "Y-9", 0x04, "01 00 00 00 00 00 00", PRC_VALUE },
	{ "Y-10", 0x04, "01 00 00 00 00 03 f1", PRC_VALUE },
	{ "Y-11", 0x04, "03 00 00 00 00 00 10", PRC_VALUE },
	{ "Y-12", 0x05, "02 00 00 00 04 00 00 00 02 00 03 a0 a1 a2", PRC_VALUE },
	{ "Y-13", 0x05, "02 00 00 04 00 00 00 00 00 03 f1", PRC_TOO_LONG },
	{ "Y-14", 0x05, "02 00 00 00 01 00 00 00 00 00 01 a0 ff", PRC_TRAILING },
	{ "Y-15", 0x06, "02 00 00 10 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
	    "00 00 00 00 00 00 00 00 00", PRC_VALUE },
	{ "Y-16", 0x07, "0f c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0 c0", PRC_VALUE },
	{ "Y-17", 0x86, "05 00", PRC_VALUE },
	{ "Y-18", 0x86, "04 02", PRC_VALUE },
	{ "Y-19", 0x88, "02", PRC_VALUE },
	{ "Y-20", 0xff, "00 00 09 00", PRC_VALUE },
	{ "Y-21", 0x84, "01 00 00 01 85 00 00 01 80 00 00", PRC_VALUE },
	{ "Y-22", 0x0a, "03 0a 54 48 32 2d 37 4b 33 4d 39 51 03 10 63 6f 72 72 65 63 74 20 68 6f 72 73 65 20 34 "
	    "32", PRC_VALUE },
	{ "Y-23", 0x0a, "01 21 41", PRC_TOO_LONG },
	{ "Y-24", 0x0a, "01 01 41 01 10 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f", PRC_VALUE },
	{ "Y-25", 0x0a, "01 01 41 02 08 61 61 61 61 61 61 61 7f", PRC_CHARSET },
	{ "Y-26", 0x0a, "01 01 41 03 40 61", PRC_TOO_LONG },
	{ "Y-27", 0x0a, "01 01 41 04 08 61 61 61 61 61 61 61 61", PRC_VALUE },
	{ "Y-28", 0x0a, "01 01 41 03 08 61 61 61 61 61 61 61 61 00", PRC_TRAILING },
	{ "Y-29", 0x0b, "02 10 00 00 00 03 e8 10 53 50 41 4b 45 32 50 20 4b 65 79 20 53 61 6c 74 00 00 00 00 00 "
	    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 04 00 "
	    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
	    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
	    "00 00 00 00 00", PRC_VALUE },
	{ "Y-30", 0x0a, "02 0f 00 00 00 03 e7 10 53 50 41 4b 45 32 50 20 4b 65 79 20 53 61 6c 74 00 00 00 00 00 "
	    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 04 00 "
	    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
	    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
	    "00 00 00 00 00", PRC_VALUE },
	{ "Y-31", 0x0a, "02 0f 00 00 00 03 e8 0f 53", PRC_VALUE },
	{ "Y-32", 0x0a, "02 0f 00 00 00 03 e8 21", PRC_TOO_LONG },
	{ "Y-33", 0x0a, "02 0f 00 00 00 03 e8 10 53 50 41 4b 45 32 50 20 4b 65 79 20 53 61 6c 74 00 00 00 00 00 "
	    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 05 00 "
	    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
	    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
	    "00 00 00 00 00", PRC_VALUE },
	{ "Y-34", 0x0b, "02 0f 00 00 00 03 e8 10 53 50 41 4b 45 32 50 20 4b 65 79 20 53 61 6c 74 00 00 00 00 00 "
	    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", PRC_SHORT },
	{ "Y-35", 0x8b, "02", PRC_VALUE },
};
const size_t cv_nbad_payloads = sizeof(cv_bad_payloads) / sizeof(cv_bad_payloads[0]);

/* Section 7.2, the short COBS vectors (the runs of 254 and 255 bytes are built in code). */
const struct cv_cobs cv_cobs_short[] = {
	{ "", "01" },
	{ "00", "01 01" },
	{ "00 00", "01 01 01" },
	{ "11 22 00 33", "03 11 22 02 33" },
	{ "11 22 33 44", "05 11 22 33 44" },
	{ "11 00 00 00", "02 11 01 01 01" },
};
const size_t cv_ncobs_short = sizeof(cv_cobs_short) / sizeof(cv_cobs_short[0]);

size_t
cv_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi, lo;

	while (*s != '\0') {
		if (*s == ' ') {
			s++;
			continue;
		}
		if ((hi = util_hexdigit(s[0])) < 0 || (lo = util_hexdigit(s[1])) < 0 || n == cap)
			return CV_HEX_BAD;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return n;
}

const struct cv_frame *
cv_find(const char *id)
{
	size_t i, n = strlen(id);

	for (i = 0; i < cv_nframes; i++)
		if (strncmp(cv_frames[i].name, id, n) == 0 && cv_frames[i].name[n] == ' ')
			return &cv_frames[i];
	return NULL;
}
