// Imported first by main.ts, before any other module is loaded: V8 flags read at run time.
import { setFlagsFromString } from 'node:v8';

// The old generation may grow to 1.5x what the last full GC left before the next one, instead of
// V8's own factor (up to 4x while GC looks cheap): under load the heap of ~45 MiB live grew to
// 150-180 MiB of garbage first. Peak RSS under the benchmark's load 299-308 -> 183-188 MiB with
// req/s and CPU per request unchanged within the noise (issue 12). Set at run time, so a V8 that
// no longer knows a flag prints one line and starts anyway instead of refusing to start.
setFlagsFromString('--heap-growing-percent=50');

// Loading the modules (Nest, TypeORM, swagger, class-validator: ~40 MiB that all live on) made V8
// grow the young generation to its 32 MiB maximum, which it gave back only ~20 s later when its
// memory reducer ran: idle RSS 146-151 MiB. Optimising for size while the app starts makes every
// full GC shrink it again (scavenges still grow it): about 15 MiB on average over a load instead of
// 31, and where the start ends is luck, 1 to 32 MiB (idle RSS 116-125 MiB over the runs measured,
// 115-127 in the benchmarks). startServing() turns that off, so under load the young
// generation grows to the cap the start commands set on the command line (V8 reads it only when
// the heap is set up): --max-semi-space-size=8, a 16 MiB young generation instead of 32. That kept
// the peak RSS under the benchmark at 178-182 MiB instead of 200-201, for 5-12 % of refresh's CPU;
// =2 had cost refresh a quarter of its req/s (issue 12).
setFlagsFromString('--optimize-for-size');
// The luck was the scavenges after the start's last full GC, each doubling the young generation
// again. With a growth factor of 1 until the server listens (V8 reads it at each growth) it ends
// where V8 starts it, 1-2 MiB: idle RSS 103-105 MiB in six starts out of six, against 102-121 with
// the young generation at 1-16 MiB; the start took ~70 ms longer (medians of ten, 1.27 against
// 1.20 s: more young-generation collections while the modules load).
setFlagsFromString('--semi-space-growth-factor=1');

/** Called once the server listens: from here on V8 sizes the heap for speed again. */
export function startServing(): void {
  setFlagsFromString('--semi-space-growth-factor=2'); // V8's default
  setFlagsFromString('--no-optimize-for-size');
}
