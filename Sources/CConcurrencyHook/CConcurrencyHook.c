#include "CConcurrencyHook.h"

// Defined by the Swift runtime (libswift_Concurrency). Referenced here, the linker resolves it in the shared and
// the static runtime alike; dlsym would find it only where it is exported, which a --static-swift-stdlib build
// (the Docker image's) does not do.
extern void *swift_task_enqueueGlobal_hook;

void *_Nullable *_Nonnull tessera_swift_task_enqueueGlobal_hook(void) { return &swift_task_enqueueGlobal_hook; }
