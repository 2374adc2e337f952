// A script's recorded output is data, not instructions for the terminal: written to a terminal, its
// control characters (escape sequences can retitle windows, rewrite the screen, hide text or worse) are
// shown escaped. Piped, it is written byte for byte, because scripts depend on exact replay.

// C0 controls except tab and newline, DEL, and the C1 controls (U+009B is a one-character CSI).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Control characters other than newline and tab, as `\xNN` (ESC becomes `\x1b`). */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** `text` as it may be written to `stream`: escaped for a terminal, unchanged for a pipe or file. */
export function forTerminal(stream: { isTTY?: boolean }, text: string): string {
  return stream.isTTY ? escapeControls(text) : text;
}

/**
 * JSON with DEL and the C1 controls as \u escapes too (JSON.stringify escapes only C0); the same JSON
 * to any parser, so it needs no terminal check.
 */
export function terminalSafeJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(
    /[\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
