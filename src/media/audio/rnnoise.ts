/**
 * RNNoise as Jitsi Meet runs it in the browser: the WebAssembly build of `@jitsi/rnnoise-wasm`
 * (its sync variant, with the 0.2 model that Meet uses for suppression), loaded from the package's
 * own files, once per thread, on first use.
 *
 * The package ships its loader as an ES module inside a CommonJS package without an `exports`
 * map, which Node cannot import as it stands. The loader's text is therefore read and evaluated
 * with its one `export default` turned into a return value; the WebAssembly module is inlined in
 * it (base64), so nothing is fetched.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Samples RNNoise takes per call: 10 ms at 48 kHz. */
export const RNNOISE_FRAME = 480;
export const RNNOISE_RATE = 48_000;

/** The parts of the Emscripten module we use. */
export interface RnnoiseModule {
  readonly HEAPF32: Float32Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  _rnnoise_create(model: number): number;
  _rnnoise_destroy(state: number): void;
  /** Denoises RNNOISE_FRAME floats (16-bit scale) from `input` into `output`; returns the voice probability. */
  _rnnoise_process_frame(state: number, output: number, input: number): number;
}

type ModuleFactory = () => RnnoiseModule;

const LOADER = '@jitsi/rnnoise-wasm/dist/rnnoise-sync.js';

let loaded: RnnoiseModule | undefined;

function factoryFrom(source: string): ModuleFactory {
  const body = source
    // Used only to locate a .wasm file, which the sync build does not need.
    .replace('import.meta.url', 'undefined')
    .replace(/export\s+default\s+(\w+)\s*;?\s*$/, 'return $1;');
  if (body === source) throw new Error(`${LOADER}: unexpected loader shape`);
  return new Function(body)() as ModuleFactory;
}

/** The module of this thread (a media worker has its own), instantiated synchronously the first time. */
export function rnnoiseModule(): RnnoiseModule {
  if (loaded !== undefined) return loaded;
  const path = createRequire(import.meta.url).resolve(LOADER);
  const module = factoryFrom(readFileSync(path, 'utf8'))();
  if (typeof module._rnnoise_process_frame !== 'function') throw new Error(`${LOADER}: RNNoise did not instantiate`);
  loaded = module;
  return module;
}
