#ifndef TESSERA_CCONCURRENCYHOOK_H
#define TESSERA_CCONCURRENCYHOOK_H

/// The Swift runtime's swift_task_enqueueGlobal_hook, by address: the slot through which Swift enqueues every job
/// without an executor of its own. See Sources/TesseraServer/EventLoopExecutor.swift.
void *_Nullable *_Nonnull tessera_swift_task_enqueueGlobal_hook(void);

#endif
