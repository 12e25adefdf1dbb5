/**
 * The guarded fetch's bound on an answer's size: a declared length within the bound is trusted
 * (the HTTP client reads no more than it), a compressed answer is counted after decompression.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedFetch, ReplyTooLargeError } from '../src/teachers/guardedFetch.ts';

const MAX = 1024;
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/small') {
      const body = JSON.stringify({ text: 'a story' });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      return res.end(body);
    }
    // 64 KB of text that gzips to far less than MAX: only the decompressed size tells.
    const zipped = gzipSync(Buffer.from('x'.repeat(64 * 1024)));
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': zipped.byteLength });
    res.end(zipped);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('guardedFetch', () => {
  it('reads an answer whose declared length is within the bound', async () => {
    const response = await guardedFetch(fetch, { maxBytes: MAX })(`${base}/small`);
    expect(await response.json()).toEqual({ text: 'a story' });
  });

  it('stops a compressed answer that is small on the wire and large once decompressed', async () => {
    const response = await guardedFetch(fetch, { maxBytes: MAX })(`${base}/zipped`);
    await expect(response.text()).rejects.toBeInstanceOf(ReplyTooLargeError);
  });
});
