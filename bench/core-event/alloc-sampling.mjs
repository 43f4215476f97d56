// Preload (node --import) that samples every allocation of the process, the ones the GC has
// already collected included, and at exit writes where they were made: self bytes by
// function, largest first, to the file named by ALLOC_PROFILE_OUT (JSON lines: bytes, function, url:line).
// The sampling interval is ALLOC_SAMPLING_BYTES (default 256): a sample stands for that many bytes.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const session = new Session();
session.connect();
session.post('HeapProfiler.startSampling', {
  samplingInterval: Number(process.env.ALLOC_SAMPLING_BYTES ?? 256),
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});

process.on('exit', () => {
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error) throw error;
    const bySite = new Map();
    const name = (f) =>
      `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(packages|bench|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
    // A site is the allocating function, and its caller when it has no script of its own (a builtin).
    const walk = (node, caller) => {
      const f = node.callFrame;
      const site = f.url ? name(f) : `${name(f)} < ${caller}`;
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
      for (const child of node.children) walk(child, f.url ? name(f) : caller);
    };
    walk(result.profile.head, '(root)');
    const rows = [...bySite].sort((a, b) => b[1] - a[1]);
    writeFileSync(process.env.ALLOC_PROFILE_OUT ?? 'alloc.json', rows.map((r) => JSON.stringify(r)).join('\n'));
  });
});
