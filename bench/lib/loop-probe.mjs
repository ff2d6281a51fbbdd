// Preloaded (`node --import`) into every server the bench starts, bare and project alike, so
// both are watched the same way: event-loop delay and GC pauses since the last reset,
// answered over the IPC channel the bench opens. It tells a server's own stalls apart from
// the load generator's (both share the machine's cores).
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { setInterval } from 'node:timers';

const RESOLUTION_MS = 10;
const MAJOR_GC = 4; // perf_hooks constants.NODE_PERFORMANCE_GC_MAJOR

let delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
let gc = { count: 0, totalMs: 0, maxMs: 0, majorCount: 0, majorMaxMs: 0 };
/**
 * Each late tick split in two: the CPU the process burned meanwhile (its own work: a long
 * task, a GC) and the rest (waiting for a core the machine gave to someone else).
 */
let stalls = { ownMaxMs: 0, waitMaxMs: 0 };
let lastWall = performance.now();
let lastCpu = process.cpuUsage();
const watch = setInterval(() => {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  const lateMs = wall - lastWall - RESOLUTION_MS;
  if (lateMs > 0) {
    const cpuMs = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000;
    const ownMs = Math.min(lateMs, Math.max(0, cpuMs - RESOLUTION_MS));
    stalls.ownMaxMs = Math.max(stalls.ownMaxMs, ownMs);
    stalls.waitMaxMs = Math.max(stalls.waitMaxMs, lateMs - ownMs);
  }
  lastWall = wall;
  lastCpu = cpu;
}, RESOLUTION_MS);
watch.unref();

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count++;
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
    if (entry.detail?.kind === MAJOR_GC) {
      gc.majorCount++;
      gc.majorMaxMs = Math.max(gc.majorMaxMs, entry.duration);
    }
  }
}).observe({ entryTypes: ['gc'] });

const ms = (ns) => ns / 1e6;

/** Delay beyond the sampler's own interval, in ms: what a request arriving then waited. */
const reading = () => ({
  delayP50Ms: Math.max(0, ms(delay.percentile(50)) - RESOLUTION_MS),
  delayP99Ms: Math.max(0, ms(delay.percentile(99)) - RESOLUTION_MS),
  delayMaxMs: Math.max(0, ms(delay.max) - RESOLUTION_MS),
  gc: { ...gc },
  stalls: { ...stalls },
});

if (process.channel) {
  delay.enable();
  process.on('message', (message) => {
    if (message === 'probe:reset') {
      delay.disable();
      delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
      delay.enable();
      gc = { count: 0, totalMs: 0, maxMs: 0, majorCount: 0, majorMaxMs: 0 };
      stalls = { ownMaxMs: 0, waitMaxMs: 0 };
      process.send({ probe: 'reset' });
    } else if (message === 'probe:read') {
      process.send({ probe: 'reading', reading: reading() });
    }
  });
  process.channel.unref();
}
