/**
 * Discord's size limits in one place, and the helpers that keep every message Zega builds inside
 * them. The builders of `@discordjs/builders` check single fields (and throw), but not the 6000
 * characters summed over all embeds of a message; `fitEmbeds` does that.
 *
 * Lengths are counted in UTF-16 code units (`string.length`), as the builders and discord.js's
 * own `embedLength` count them. A character outside the BMP (most emoji) counts as 2 here and as
 * 1 for Discord, so counting this way never lets a message through that Discord would refuse.
 * `truncate` never cuts a surrogate pair in half.
 */
import { ComponentType, escapeMarkdown } from 'discord.js';
import type { APIActionRowComponent, APIComponentInMessageActionRow, APIEmbed } from 'discord.js';

export const LIMITS = {
  embed: {
    title: 256,
    description: 4096,
    fields: 25,
    fieldName: 256,
    fieldValue: 1024,
    footer: 2048,
    author: 256,
    /** Summed over title, description, field names and values, footer text and author name of all embeds of one message. */
    total: 6000,
  },
  message: {
    content: 2000,
    embeds: 10,
    actionRows: 5,
  },
  component: {
    buttonsPerRow: 5,
    buttonLabel: 80,
    customId: 100,
    selectOptions: 25,
    selectOptionLabel: 100,
    selectOptionValue: 100,
    selectOptionDescription: 100,
    selectPlaceholder: 150,
  },
  autocomplete: {
    choices: 25,
    choiceName: 100,
    choiceValue: 100,
  },
} as const;

export const ELLIPSIS = '…';

/** True when the UTF-16 unit at `index` is the first half of a surrogate pair. */
function isHighSurrogate(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return code >= 0xd800 && code <= 0xdbff;
}

/** `text[0, end)`, moved left by one when `end` would split a surrogate pair. */
function safeSlice(text: string, end: number): string {
  if (end <= 0) return '';
  if (end >= text.length) return text;
  return text.slice(0, isHighSurrogate(text, end - 1) ? end - 1 : end);
}

/**
 * `text` when it fits in `max`, else its start cut at a code point boundary, trailing whitespace
 * dropped, ending with "…"; the result is never longer than `max` (for `max` ≤ 0, the empty string).
 */
export function truncate(text: string, max: number): string {
  if (max <= 0) return '';
  if (text.length <= max) return text;
  if (max === 1) return ELLIPSIS;
  return `${safeSlice(text, max - ELLIPSIS.length).trimEnd()}${ELLIPSIS}`;
}

/** Characters Discord counts for one embed towards the 6000 of a message. */
export function embedLength(embed: APIEmbed): number {
  return (
    (embed.title?.length ?? 0) +
    (embed.description?.length ?? 0) +
    (embed.fields ?? []).reduce((sum, field) => sum + field.name.length + field.value.length, 0) +
    (embed.footer?.text.length ?? 0) +
    (embed.author?.name.length ?? 0)
  );
}

export function totalEmbedLength(embeds: readonly APIEmbed[]): number {
  return embeds.reduce((sum, embed) => sum + embedLength(embed), 0);
}

/** Discord refuses an empty field name or value; a zero-width space stands in. */
const BLANK = '\u200b';

/** A copy of `embed` with every single-field limit enforced (lengths, ≤ 25 fields, no empty field parts). */
export function clampEmbed(embed: APIEmbed): APIEmbed {
  const { embed: L } = LIMITS;
  const out: APIEmbed = { ...embed };
  if (out.title !== undefined) {
    out.title = truncate(out.title, L.title);
    if (out.title === '') delete out.title;
  }
  if (out.description !== undefined) {
    out.description = truncate(out.description, L.description);
    if (out.description === '') delete out.description;
  }
  if (out.fields !== undefined) {
    out.fields = out.fields.slice(0, L.fields).map((field) => ({
      ...field,
      name: truncate(field.name, L.fieldName) || BLANK,
      value: truncate(field.value, L.fieldValue) || BLANK,
    }));
  }
  if (out.footer !== undefined) {
    const text = truncate(out.footer.text, L.footer);
    if (text === '') delete out.footer;
    else out.footer = { ...out.footer, text };
  }
  if (out.author !== undefined) {
    const name = truncate(out.author.name, L.author);
    if (name === '') delete out.author;
    else out.author = { ...out.author, name };
  }
  return out;
}

/** Below this many characters a trimmed part is dropped rather than kept as a stub. */
const MIN_KEPT = 16;

/**
 * Shortens `text` by at least `excess` characters: truncated when enough is left to be useful,
 * otherwise removed (undefined).
 */
function shorten(text: string, excess: number): string | undefined {
  const target = text.length - excess;
  return target >= MIN_KEPT ? truncate(text, target) : undefined;
}

function hasContent(embed: APIEmbed): boolean {
  return Boolean(
    embed.title || embed.description || (embed.fields?.length ?? 0) > 0 || embed.footer || embed.author || embed.image || embed.thumbnail,
  );
}

/** Trims one embed in place until it is `excess` characters shorter or has nothing left to give. */
function trimEmbed(embed: APIEmbed, excess: number): void {
  const target = embedLength(embed) - excess;
  const needed = () => embedLength(embed) - target;
  if (needed() > 0 && embed.description !== undefined) {
    const next = shorten(embed.description, needed());
    if (next === undefined) delete embed.description;
    else embed.description = next;
  }
  const fields = embed.fields ?? [];
  while (needed() > 0 && fields.length > 0) {
    const last = fields[fields.length - 1];
    if (!last) break;
    const value = shorten(last.value, needed());
    if (value === undefined) fields.pop();
    else last.value = value;
  }
  if (needed() > 0 && embed.footer !== undefined) {
    const text = shorten(embed.footer.text, needed());
    if (text === undefined) delete embed.footer;
    else embed.footer = { ...embed.footer, text };
  }
  if (needed() > 0 && embed.author !== undefined) {
    const name = shorten(embed.author.name, needed());
    if (name === undefined) delete embed.author;
    else embed.author = { ...embed.author, name };
  }
  if (needed() > 0 && embed.title !== undefined) {
    const title = shorten(embed.title, needed());
    if (title === undefined) delete embed.title;
    else embed.title = title;
  }
}

/**
 * The embeds of one message made safe to send: at most 10, each within every single-field limit,
 * and together within `maxTotal` (default 6000) characters. Over the total, the last embed gives
 * first: its description, then its fields from the last, then footer, author and title; then the
 * embed before it. Embeds left with nothing to show are dropped. The input is not modified.
 */
export function fitEmbeds(embeds: readonly APIEmbed[], maxTotal: number = LIMITS.embed.total): APIEmbed[] {
  const out = embeds.slice(0, LIMITS.message.embeds).map((embed) => {
    const clamped = clampEmbed(embed);
    if (clamped.fields) clamped.fields = clamped.fields.map((f) => ({ ...f }));
    return clamped;
  });
  let excess = totalEmbedLength(out) - maxTotal;
  for (let i = out.length - 1; i >= 0 && excess > 0; i--) {
    const embed = out[i];
    if (!embed) continue;
    const before = embedLength(embed);
    trimEmbed(embed, excess);
    excess -= before - embedLength(embed);
  }
  return out.filter(hasContent);
}

/**
 * Boundary patterns, best first. Group 1 is what stays with the chunk before the cut (a sentence's
 * closing punctuation); the rest of the match is whitespace dropped at the cut.
 */
const PARAGRAPH = /()\n[ \t]*\n\s*/g;
const LINE = /()\n\s*/g;
const SENTENCE = /([.!?…]["'”’)\]]*)\s+/g;
const SPACE = /()\s+/g;

/** Where to cut `text` (longer than `max`): the chunk is `text[0, cut)`, the rest starts at `resume`. */
function breakPoint(text: string, max: number): { cut: number; resume: number } {
  // One character past max, so whitespace right after a full chunk is seen too.
  const window = text.slice(0, max + 1);
  const last = (pattern: RegExp): { cut: number; resume: number } | undefined => {
    let found: { cut: number; resume: number } | undefined;
    for (const match of window.matchAll(pattern)) {
      const cut = match.index + (match[1]?.length ?? 0);
      if (cut <= max) found = { cut, resume: match.index + match[0].length };
    }
    return found;
  };
  // Paragraph, line or sentence ends only when the chunk stays at least half full.
  for (const pattern of [PARAGRAPH, LINE, SENTENCE]) {
    const found = last(pattern);
    if (found && found.cut >= max / 2) return found;
  }
  const space = last(SPACE);
  if (space && space.cut > 0) return space;
  // One word longer than max: cut inside it, at a code point boundary.
  const cut = safeSlice(text, max).length;
  return { cut, resume: cut };
}

/**
 * Splits `text` into chunks of at most `max` characters, cutting after a paragraph, a line or a
 * sentence when that keeps a chunk at least half full, else between words, and inside a word only
 * when one word is longer than `max`. Whitespace at the cuts is dropped and chunks are trimmed; no
 * other character is lost. Empty or blank text gives no chunks.
 */
export function splitText(text: string, max: number): string[] {
  if (!Number.isInteger(max) || max < 2) throw new RangeError(`splitText: max must be an integer ≥ 2, got ${max}`);
  const chunks: string[] = [];
  let rest = text.trim();
  while (rest.length > max) {
    const { cut, resume } = breakPoint(rest, max);
    const chunk = rest.slice(0, cut).trimEnd();
    if (chunk) chunks.push(chunk);
    rest = rest.slice(resume).trimStart();
  }
  if (rest) chunks.push(rest);
  return chunks;
}

/**
 * User- or model-provided text made inert for display: Markdown escaped (including headings,
 * lists and masked links, which `escapeMarkdown` leaves alone by default) and mentions broken
 * with a zero-width space so they neither ping nor render as mentions.
 */
export function escapeUserText(text: string): string {
  return neutralizeMentions(
    escapeMarkdown(text, { heading: true, bulletedList: true, numberedList: true, maskedLink: true }),
  );
}

/** `@everyone`, `@here`, `<@id>`, `<@&id>`, `<#id>` made inert; nothing else changes. */
export function neutralizeMentions(text: string): string {
  return text.replace(/@(everyone|here)/g, '@\u200b$1').replace(/<(@[!&]?|#)(\d+)>/g, '<$1\u200b$2>');
}

/** `escapeUserText` then `truncate`: the usual treatment of a user-provided title or name. */
export function userText(text: string, max: number): string {
  return truncate(escapeUserText(text), max);
}

export { escapeMarkdown };

export interface AutocompleteChoice {
  name: string;
  value: string;
}

/** At most 25 choices, names and values cut to 100 characters. */
export function fitChoices(choices: readonly AutocompleteChoice[]): AutocompleteChoice[] {
  const { autocomplete: A } = LIMITS;
  return choices.slice(0, A.choices).map((c) => ({
    name: truncate(c.name, A.choiceName) || BLANK,
    value: c.value.slice(0, A.choiceValue),
  }));
}

export type MessageComponents = APIActionRowComponent<APIComponentInMessageActionRow>[];

export interface MessagePayloadLike {
  content?: string;
  embeds?: readonly APIEmbed[];
  components?: readonly APIActionRowComponent<APIComponentInMessageActionRow>[];
}

/**
 * Every limit of this file that `payload` breaks, as readable lines; empty when Discord would
 * accept it as far as sizes go. Used by the tests and handy in assertions elsewhere.
 */
export function limitViolations(payload: MessagePayloadLike): string[] {
  const problems: string[] = [];
  const { embed: E, message: M, component: C } = LIMITS;
  const over = (what: string, length: number, max: number, min = 0) => {
    if (length > max || length < min) problems.push(`${what}: ${length} not in ${min}..${max}`);
  };
  if (payload.content !== undefined) over('content', payload.content.length, M.content);
  const embeds = payload.embeds ?? [];
  over('embeds', embeds.length, M.embeds);
  embeds.forEach((embed, i) => {
    if (embed.title !== undefined) over(`embed ${i} title`, embed.title.length, E.title, 1);
    if (embed.description !== undefined) over(`embed ${i} description`, embed.description.length, E.description, 1);
    over(`embed ${i} fields`, embed.fields?.length ?? 0, E.fields);
    (embed.fields ?? []).forEach((f, j) => {
      over(`embed ${i} field ${j} name`, f.name.length, E.fieldName, 1);
      over(`embed ${i} field ${j} value`, f.value.length, E.fieldValue, 1);
    });
    if (embed.footer) over(`embed ${i} footer`, embed.footer.text.length, E.footer, 1);
    if (embed.author) over(`embed ${i} author`, embed.author.name.length, E.author, 1);
    if (!hasContent(embed)) problems.push(`embed ${i} is empty`);
  });
  over('embeds total', totalEmbedLength(embeds), E.total);
  const rows = payload.components ?? [];
  over('action rows', rows.length, M.actionRows);
  const ids = new Set<string>();
  rows.forEach((row, r) => {
    const items = row.components;
    const selects = items.filter((c) => c.type !== ComponentType.Button);
    if (selects.length > 0 && items.length !== 1) problems.push(`row ${r}: a select must be alone in its row`);
    over(`row ${r} components`, items.length, C.buttonsPerRow, 1);
    items.forEach((item, k) => {
      const where = `row ${r} component ${k}`;
      if ('custom_id' in item && item.custom_id !== undefined) {
        over(`${where} custom_id`, item.custom_id.length, C.customId, 1);
        if (ids.has(item.custom_id)) problems.push(`${where}: duplicate custom_id ${item.custom_id}`);
        ids.add(item.custom_id);
      }
      if (item.type === ComponentType.Button) {
        if ('label' in item && item.label !== undefined) over(`${where} label`, item.label.length, C.buttonLabel, 1);
        if (!('label' in item && item.label) && !('emoji' in item && item.emoji)) problems.push(`${where}: button without label or emoji`);
      }
      if (item.type === ComponentType.StringSelect) {
        over(`${where} options`, item.options.length, C.selectOptions, 1);
        if (item.placeholder !== undefined) over(`${where} placeholder`, item.placeholder.length, C.selectPlaceholder);
        const min = item.min_values ?? 1;
        const max = item.max_values ?? 1;
        if (min > max || max > item.options.length || max < 1) problems.push(`${where}: min/max values ${min}/${max} with ${item.options.length} options`);
        const values = new Set<string>();
        let defaults = 0;
        item.options.forEach((o, n) => {
          over(`${where} option ${n} label`, o.label.length, C.selectOptionLabel, 1);
          over(`${where} option ${n} value`, o.value.length, C.selectOptionValue, 1);
          if (o.description !== undefined) over(`${where} option ${n} description`, o.description.length, C.selectOptionDescription, 1);
          if (values.has(o.value)) problems.push(`${where}: duplicate option value ${o.value}`);
          values.add(o.value);
          if (o.default) defaults += 1;
        });
        if (defaults > max) problems.push(`${where}: ${defaults} defaults but max_values ${max}`);
      }
    });
  });
  return problems;
}
