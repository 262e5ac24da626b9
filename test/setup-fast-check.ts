// Property tests run from a fixed seed, so a test run (CI's above all) is reproducible; a failure
// prints its seed and path. FC_SEED=random explores new cases, FC_SEED=<n> replays a given seed.
import fc from 'fast-check';

const seed = process.env.FC_SEED;
if (seed !== 'random') fc.configureGlobal({ seed: seed === undefined ? 20_261_122 : Number(seed) });
