/* SPDX-License-Identifier: MIT */
/* dl_vncclient.h: libvncclient, loaded when a guest's screen is captured (see dynlib.h) */
#ifndef VMM_DL_VNCCLIENT_H
#define VMM_DL_VNCCLIENT_H

#include <rfb/rfbclient.h>

#include "vmm/sys/dynlib.h"

/* Every symbol of the library vmm uses. */
#define DL_VNCCLIENT_SYMBOLS(X)         \
	X(HandleRFBServerMessage)       \
	X(SendFramebufferUpdateRequest) \
	X(WaitForMessage)               \
	X(rfbClientCleanup)             \
	X(rfbClientErr)                 \
	X(rfbClientGetClientData)       \
	X(rfbClientLog)                 \
	X(rfbClientSetClientData)       \
	X(rfbGetClient)                 \
	X(rfbInitClient)

DL_VNCCLIENT_SYMBOLS(DYNLIB_DECLARE)
extern struct dynlib dl_vncclient;

/* The redirects (src/sys/dl_NAME.c needs the real names). */
#ifndef DYNLIB_IMPL
#define HandleRFBServerMessage (*dl_HandleRFBServerMessage)
#define SendFramebufferUpdateRequest (*dl_SendFramebufferUpdateRequest)
#define WaitForMessage (*dl_WaitForMessage)
#define rfbClientCleanup (*dl_rfbClientCleanup)
#define rfbClientErr (*dl_rfbClientErr)
#define rfbClientGetClientData (*dl_rfbClientGetClientData)
#define rfbClientLog (*dl_rfbClientLog)
#define rfbClientSetClientData (*dl_rfbClientSetClientData)
#define rfbGetClient (*dl_rfbGetClient)
#define rfbInitClient (*dl_rfbInitClient)
#endif

#endif
