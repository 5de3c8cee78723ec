/**
 * Memory of long byte streams (dossier downloads, copies into the staging
 * folder). Every chunk read from a socket or a file is a fresh buffer outside
 * the JavaScript heap. V8 frees such buffers only when it collects their
 * small handles, which it does after tens of MB of them: the process then
 * keeps ~30 MB more than it needs, whatever the dossier's size. A
 * young-generation collection every few MiB (a millisecond or less) returns
 * them to the allocator before it has to grow.
 */
import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

/** How many bytes pass between two collections. */
export const RELEASE_EVERY_BYTES = 4 * 1024 * 1024

type Collect = (options: {type: 'minor'}) => void
let collect: Collect | null | undefined

/** V8's own collector, made callable once (the documented --expose-gc, set at run time); null where refused. */
function collector(): Collect | null {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc')
      collect = runInNewContext('gc') as Collect
    } catch {
      collect = null
    }
  }
  return collect
}

/** A counter for one stream: call it with each chunk's length; it collects the young generation every RELEASE_EVERY_BYTES. */
export function releasingCounter(every = RELEASE_EVERY_BYTES): (bytes: number) => void {
  let since = 0
  return (bytes) => {
    since += bytes
    if (since < every) return
    since = 0
    collector()?.({type: 'minor'})
  }
}
