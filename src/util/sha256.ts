// The SHA-256 of bytes as lowercase hex: how a run names the exact weights it produced, comparable with
// `sha256sum` on an exported file.
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as BufferSource);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
