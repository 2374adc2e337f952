// A payload codec for SuperScript's Temporal clients: a payload that the SDK's default converter cannot
// decode arrives as JSON null instead. Such a payload (an encoding the converter does not know, JSON that
// does not parse, no metadata) makes the SDK throw while it decodes a listing, a description or a result, so
// one workflow started by hand with one would fail every listing it appears in. SuperScript never writes
// one; as null, it reads as data that is not SuperScript's (see src/runs/stored.ts).
import type { Payload, PayloadCodec } from '@temporalio/common';

/** The encodings of the SDK's default payload converter (undefined, binary, JSON). */
const READABLE = new Set(['binary/null', 'binary/plain', 'json/plain']);

const text = new TextDecoder();
const NULL: Payload = {
  metadata: { encoding: new TextEncoder().encode('json/plain') },
  data: new TextEncoder().encode('null'),
};

function readable(payload: Payload): boolean {
  const encoding = payload.metadata?.encoding && text.decode(payload.metadata.encoding);
  if (!encoding || !READABLE.has(encoding)) return false;
  if (encoding !== 'json/plain') return true;
  try {
    JSON.parse(text.decode(payload.data ?? new Uint8Array()));
    return true;
  } catch {
    return false;
  }
}

export const unreadablePayloadsAsNull: PayloadCodec = {
  encode: (payloads) => Promise.resolve(payloads),
  decode: (payloads) => Promise.resolve(payloads.map((p) => (readable(p) ? p : NULL))),
};
