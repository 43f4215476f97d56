import type { RunAbort } from './run-abort.js';

/** `work`'s outcome, or the abort's reason if the run aborts first while `cutShort()` says so. */
export function raced(abort: RunAbort, work: Promise<unknown>, cutShort: () => boolean): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const off = abort.onAbort((reason) => {
      if (cutShort()) reject(reason);
    });
    work.then(
      (value) => {
        off();
        resolve(value);
      },
      (error: unknown) => {
        off();
        reject(error);
      },
    );
  });
}
