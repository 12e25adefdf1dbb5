/** Derived text fields stored beside a story so lists never read bodies. */

export const EXCERPT_LENGTH = 160;

export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:.-]+$/, '')}…`;
}

export function excerptOf(text: string): string {
  return clip(text.replace(/\s+/g, ' ').trim(), EXCERPT_LENGTH);
}

export function wordCount(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}
