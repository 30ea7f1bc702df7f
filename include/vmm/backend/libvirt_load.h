/* SPDX-License-Identifier: MIT */
/* libvirt_load.h: libvirt loaded on first use (dlopen), so commands that never use it do not pay for it */
#ifndef VMM_VIRTLIB_H
#define VMM_VIRTLIB_H

/*
 * vmm is not linked with libvirt: loading it (and its dependencies and constructors) costs about
 * 10 ms, which every command would pay. libvirt.so.0 is opened the first time a libvirt profile
 * needs it, by the lazy loader of sys/dynlib.h. A file that calls libvirt includes
 * <libvirt/libvirt.h>, then this header, which redirects each name below to a pointer filled by
 * virtlib_load(): callers write plain libvirt calls, and must call virtlib_load() before the first
 * one.
 *
 * VIRTLIB_SYMBOLS lists every libvirt function and variable vmm uses. A call to one that is not
 * listed fails to link (libvirt is not on the link line), so the list cannot fall behind.
 */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "vmm/sys/dynlib.h"

#define VIRTLIB_SYMBOLS(X)              \
	X(virConnSetErrorFunc)          \
	X(virConnectAuthPtrDefault)     \
	X(virConnectClose)              \
	X(virConnectGetCapabilities)    \
	X(virConnectOpenAuth)           \
	X(virDomainCreateXML)           \
	X(virDomainDestroy)             \
	X(virDomainFree)                \
	X(virDomainGetState)            \
	X(virDomainGetXMLDesc)          \
	X(virDomainIsActive)            \
	X(virDomainLookupByName)        \
	X(virDomainOpenConsole)         \
	X(virDomainRevertToSnapshot)    \
	X(virDomainShutdown)            \
	X(virDomainSnapshotCreateXML)   \
	X(virDomainSnapshotDelete)      \
	X(virDomainSnapshotFree)        \
	X(virDomainSnapshotLookupByName) \
	X(virEventAddHandle)            \
	X(virEventAddTimeout)           \
	X(virEventRegisterDefaultImpl)  \
	X(virEventRemoveHandle)         \
	X(virEventRemoveTimeout)        \
	X(virEventRunDefaultImpl)       \
	X(virEventUpdateHandle)         \
	X(virGetLastError)              \
	X(virGetLastErrorMessage)       \
	X(virNetworkCreate)             \
	X(virNetworkDefineXML)          \
	X(virNetworkFree)               \
	X(virNetworkIsActive)           \
	X(virNetworkLookupByName)       \
	X(virSetErrorFunc)              \
	X(virStoragePoolBuild)          \
	X(virStoragePoolCreate)         \
	X(virStoragePoolDefineXML)      \
	X(virStoragePoolFree)           \
	X(virStoragePoolGetName)        \
	X(virStoragePoolIsActive)       \
	X(virStoragePoolLookupByName)   \
	X(virStorageVolCreateXML)       \
	X(virStorageVolDelete)          \
	X(virStorageVolFree)            \
	X(virStorageVolGetPath)         \
	X(virStorageVolLookupByName)    \
	X(virStorageVolUpload)          \
	X(virStreamAbort)               \
	X(virStreamEventAddCallback)    \
	X(virStreamEventRemoveCallback) \
	X(virStreamEventUpdateCallback) \
	X(virStreamFinish)              \
	X(virStreamFree)                \
	X(virStreamNew)                 \
	X(virStreamRecv)                \
	X(virStreamSend)                \
	X(virStreamSendAll)

/* One pointer per symbol, typed from libvirt's own declaration: dl_virDomainFree has the type
 * of &virDomainFree (for the variable virConnectAuthPtrDefault, a pointer to that variable). */
VIRTLIB_SYMBOLS(DYNLIB_DECLARE)
extern struct dynlib dl_libvirt;

/* Open libvirt.so.0 and resolve every symbol, once; later calls return at once. 0, or -1 with the
 * error slot set when the library or a symbol is missing (nothing is resolved then). */
int virtlib_load(void);

/* The redirects (libvirt_load.c itself needs the real names). */
#ifndef DYNLIB_IMPL
#define virConnSetErrorFunc (*dl_virConnSetErrorFunc)
#define virConnectAuthPtrDefault (*dl_virConnectAuthPtrDefault)
#define virConnectClose (*dl_virConnectClose)
#define virConnectGetCapabilities (*dl_virConnectGetCapabilities)
#define virConnectOpenAuth (*dl_virConnectOpenAuth)
#define virDomainCreateXML (*dl_virDomainCreateXML)
#define virDomainDestroy (*dl_virDomainDestroy)
#define virDomainFree (*dl_virDomainFree)
#define virDomainGetState (*dl_virDomainGetState)
#define virDomainGetXMLDesc (*dl_virDomainGetXMLDesc)
#define virDomainIsActive (*dl_virDomainIsActive)
#define virDomainLookupByName (*dl_virDomainLookupByName)
#define virDomainOpenConsole (*dl_virDomainOpenConsole)
#define virDomainRevertToSnapshot (*dl_virDomainRevertToSnapshot)
#define virDomainShutdown (*dl_virDomainShutdown)
#define virDomainSnapshotCreateXML (*dl_virDomainSnapshotCreateXML)
#define virDomainSnapshotDelete (*dl_virDomainSnapshotDelete)
#define virDomainSnapshotFree (*dl_virDomainSnapshotFree)
#define virDomainSnapshotLookupByName (*dl_virDomainSnapshotLookupByName)
#define virEventAddHandle (*dl_virEventAddHandle)
#define virEventAddTimeout (*dl_virEventAddTimeout)
#define virEventRegisterDefaultImpl (*dl_virEventRegisterDefaultImpl)
#define virEventRemoveHandle (*dl_virEventRemoveHandle)
#define virEventRemoveTimeout (*dl_virEventRemoveTimeout)
#define virEventRunDefaultImpl (*dl_virEventRunDefaultImpl)
#define virEventUpdateHandle (*dl_virEventUpdateHandle)
#define virGetLastError (*dl_virGetLastError)
#define virGetLastErrorMessage (*dl_virGetLastErrorMessage)
#define virNetworkCreate (*dl_virNetworkCreate)
#define virNetworkDefineXML (*dl_virNetworkDefineXML)
#define virNetworkFree (*dl_virNetworkFree)
#define virNetworkIsActive (*dl_virNetworkIsActive)
#define virNetworkLookupByName (*dl_virNetworkLookupByName)
#define virSetErrorFunc (*dl_virSetErrorFunc)
#define virStoragePoolBuild (*dl_virStoragePoolBuild)
#define virStoragePoolCreate (*dl_virStoragePoolCreate)
#define virStoragePoolDefineXML (*dl_virStoragePoolDefineXML)
#define virStoragePoolFree (*dl_virStoragePoolFree)
#define virStoragePoolGetName (*dl_virStoragePoolGetName)
#define virStoragePoolIsActive (*dl_virStoragePoolIsActive)
#define virStoragePoolLookupByName (*dl_virStoragePoolLookupByName)
#define virStorageVolCreateXML (*dl_virStorageVolCreateXML)
#define virStorageVolDelete (*dl_virStorageVolDelete)
#define virStorageVolFree (*dl_virStorageVolFree)
#define virStorageVolGetPath (*dl_virStorageVolGetPath)
#define virStorageVolLookupByName (*dl_virStorageVolLookupByName)
#define virStorageVolUpload (*dl_virStorageVolUpload)
#define virStreamAbort (*dl_virStreamAbort)
#define virStreamEventAddCallback (*dl_virStreamEventAddCallback)
#define virStreamEventRemoveCallback (*dl_virStreamEventRemoveCallback)
#define virStreamEventUpdateCallback (*dl_virStreamEventUpdateCallback)
#define virStreamFinish (*dl_virStreamFinish)
#define virStreamFree (*dl_virStreamFree)
#define virStreamNew (*dl_virStreamNew)
#define virStreamRecv (*dl_virStreamRecv)
#define virStreamSend (*dl_virStreamSend)
#define virStreamSendAll (*dl_virStreamSendAll)
#endif

#endif
