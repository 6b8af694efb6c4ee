/**
 * The Content-Disposition of a download, so a browser saves it under a name people recognise
 * (`cut_v3.mp4`, not `<sha256>.mp4`) even after a redirect to another origin, where `<a download>`
 * is ignored. RFC 6266 with RFC 8187's `filename*` for names outside ASCII; the plain `filename`
 * is an ASCII stand-in for old clients. Path separators, quotes and control characters never reach
 * the header (a name is only a name).
 */
export function attachmentDisposition(fileName: string): string {
  const name = fileName.replace(/[\u0000-\u001f\u007f"\\/]/g, '_').trim() || 'download';
  const ascii = name.replace(/[^\x20-\x7e]/g, '_');
  // encodeURIComponent leaves ' ( ) * as they are; RFC 8187's attr-char does not allow them.
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** The name of a preview MP4 made from a file: its name with `.mp4` for its extension. */
export function previewDownloadName(originalName: string): string {
  const stem = originalName.replace(/\.[^./\\]{1,10}$/, '');
  return `${stem || 'preview'}.mp4`;
}
