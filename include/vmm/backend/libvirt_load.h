/* SPDX-License-Identifier: MIT */
/* libvirt_load.h: libvirt loaded on first use (dlopen), so commands that never use it do not pay for it */
#ifndef VMM_VIRTLIB_H
#define VMM_VIRTLIB_H

/*
 * vmm is not linked with libvirt: loading it (and its dependencies and constructors) costs about
 * 10 ms, which every command would pay. libvirt.so.0 is opened the first time a libvirt profile
 * needs it. A file that calls libvirt includes <libvirt/libvirt.h>, then this header, which
 * redirects each name below to a pointer filled by virtlib_load(): callers write plain libvirt
 * calls, and must call virtlib_load() before the first one.
 *
 * VIRTLIB_SYMBOLS lists every libvirt function and variable vmm uses. A call to one that is not
 * listed fails to link (libvirt is not on the link line), so the list cannot fall behind.
 */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

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

/* One pointer per symbol, typed from libvirt's own declaration: virtlib_virDomainFree has the type
 * of &virDomainFree (for the variable virConnectAuthPtrDefault, a pointer to that variable). */
#define VIRTLIB_DECLARE(name) extern __typeof__(&name) virtlib_##name;
VIRTLIB_SYMBOLS(VIRTLIB_DECLARE)
#undef VIRTLIB_DECLARE

/* Open libvirt.so.0 and resolve every symbol, once; later calls return at once. 0, or -1 with the
 * error slot set when the library or a symbol is missing (nothing is resolved then). */
int virtlib_load(void);

/* The redirects (libvirt_load.c itself needs the real names). */
#ifndef VIRTLIB_IMPL
#define virConnSetErrorFunc (*virtlib_virConnSetErrorFunc)
#define virConnectAuthPtrDefault (*virtlib_virConnectAuthPtrDefault)
#define virConnectClose (*virtlib_virConnectClose)
#define virConnectGetCapabilities (*virtlib_virConnectGetCapabilities)
#define virConnectOpenAuth (*virtlib_virConnectOpenAuth)
#define virDomainCreateXML (*virtlib_virDomainCreateXML)
#define virDomainDestroy (*virtlib_virDomainDestroy)
#define virDomainFree (*virtlib_virDomainFree)
#define virDomainGetState (*virtlib_virDomainGetState)
#define virDomainGetXMLDesc (*virtlib_virDomainGetXMLDesc)
#define virDomainIsActive (*virtlib_virDomainIsActive)
#define virDomainLookupByName (*virtlib_virDomainLookupByName)
#define virDomainOpenConsole (*virtlib_virDomainOpenConsole)
#define virDomainRevertToSnapshot (*virtlib_virDomainRevertToSnapshot)
#define virDomainShutdown (*virtlib_virDomainShutdown)
#define virDomainSnapshotCreateXML (*virtlib_virDomainSnapshotCreateXML)
#define virDomainSnapshotDelete (*virtlib_virDomainSnapshotDelete)
#define virDomainSnapshotFree (*virtlib_virDomainSnapshotFree)
#define virDomainSnapshotLookupByName (*virtlib_virDomainSnapshotLookupByName)
#define virEventAddHandle (*virtlib_virEventAddHandle)
#define virEventAddTimeout (*virtlib_virEventAddTimeout)
#define virEventRegisterDefaultImpl (*virtlib_virEventRegisterDefaultImpl)
#define virEventRemoveHandle (*virtlib_virEventRemoveHandle)
#define virEventRemoveTimeout (*virtlib_virEventRemoveTimeout)
#define virEventRunDefaultImpl (*virtlib_virEventRunDefaultImpl)
#define virEventUpdateHandle (*virtlib_virEventUpdateHandle)
#define virGetLastError (*virtlib_virGetLastError)
#define virGetLastErrorMessage (*virtlib_virGetLastErrorMessage)
#define virNetworkCreate (*virtlib_virNetworkCreate)
#define virNetworkDefineXML (*virtlib_virNetworkDefineXML)
#define virNetworkFree (*virtlib_virNetworkFree)
#define virNetworkIsActive (*virtlib_virNetworkIsActive)
#define virNetworkLookupByName (*virtlib_virNetworkLookupByName)
#define virSetErrorFunc (*virtlib_virSetErrorFunc)
#define virStoragePoolBuild (*virtlib_virStoragePoolBuild)
#define virStoragePoolCreate (*virtlib_virStoragePoolCreate)
#define virStoragePoolDefineXML (*virtlib_virStoragePoolDefineXML)
#define virStoragePoolFree (*virtlib_virStoragePoolFree)
#define virStoragePoolGetName (*virtlib_virStoragePoolGetName)
#define virStoragePoolIsActive (*virtlib_virStoragePoolIsActive)
#define virStoragePoolLookupByName (*virtlib_virStoragePoolLookupByName)
#define virStorageVolCreateXML (*virtlib_virStorageVolCreateXML)
#define virStorageVolDelete (*virtlib_virStorageVolDelete)
#define virStorageVolFree (*virtlib_virStorageVolFree)
#define virStorageVolGetPath (*virtlib_virStorageVolGetPath)
#define virStorageVolLookupByName (*virtlib_virStorageVolLookupByName)
#define virStorageVolUpload (*virtlib_virStorageVolUpload)
#define virStreamAbort (*virtlib_virStreamAbort)
#define virStreamEventAddCallback (*virtlib_virStreamEventAddCallback)
#define virStreamEventRemoveCallback (*virtlib_virStreamEventRemoveCallback)
#define virStreamEventUpdateCallback (*virtlib_virStreamEventUpdateCallback)
#define virStreamFinish (*virtlib_virStreamFinish)
#define virStreamFree (*virtlib_virStreamFree)
#define virStreamNew (*virtlib_virStreamNew)
#define virStreamRecv (*virtlib_virStreamRecv)
#define virStreamSend (*virtlib_virStreamSend)
#define virStreamSendAll (*virtlib_virStreamSendAll)
#endif

#endif
