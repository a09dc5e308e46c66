// Not mutation-tested: it runs once, as the module loads, and what it changes shows only in a
// process's peak memory; the provider processes of every engine suite (tests/engine) load it.
// Keeps the dynamic-provider process small: imported first by providers/registry.ts, before any
// implementation runs. V8 doubles the young generation whenever it fills (up to 2 × 16 MB), which
// parsing a few Moodle pages does, and the process keeps that memory for its life; left at its start
// size, the young generation is only collected a little more often (measured on a process that loads
// the implementations and reads every resource from the double: peak RSS 147-148 -> 138-141 MB, time
// within noise). The flag changes nothing but how far the young generation may grow.
import * as v8 from "v8";

v8.setFlagsFromString("--semi-space-growth-factor=1");
