import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { consoleDist, serveConsole } from '../src/http/console.ts';
import { ensureBundle } from '../web/build.ts';

/**
 * The console's figures: the bundle's size as the browser downloads it (gzip), and what
 * serving it adds to refsync's start-up (reading web/dist and compressing it once).
 */
const build = await ensureBundle();
if (build.built) console.log(`built the bundle in ${build.ms} ms`);

const assets = join(consoleDist, 'assets');
let raw = 0;
let gzip = 0;
for (const name of readdirSync(assets)) {
  const body = readFileSync(join(assets, name));
  const packed = gzipSync(body).length;
  raw += body.length;
  gzip += packed;
  console.log(
    `  ${name.padEnd(28)} ${(body.length / 1024).toFixed(1).padStart(7)} KiB  gzip ${(packed / 1024).toFixed(1).padStart(6)} KiB`,
  );
}
console.log(`bundle: ${(raw / 1024).toFixed(1)} KiB, ${(gzip / 1024).toFixed(1)} KiB gzip`);

const runs: number[] = [];
for (let i = 0; i < 7; i++) {
  const server = Fastify();
  const started = performance.now();
  serveConsole(server, (_request, reply) => reply.code(404).send());
  await server.ready();
  runs.push(performance.now() - started);
  await server.close();
}
runs.sort((a, b) => a - b);
console.log(
  `start-up added by serving the console: median ${runs[3]?.toFixed(1)} ms (min ${runs[0]?.toFixed(1)}, max ${runs.at(-1)?.toFixed(1)}) over 7 starts`,
);
console.log(
  `load average: ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`,
);
