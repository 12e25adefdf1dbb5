/**
 * Style modifiers layered on top of a story prompt, so the same prompt yields differently shaped
 * training examples. `text` completes the sentence "Write it <text>." (lower case, no final
 * period). Ids are stable: they are stored with every example, so never rename or reuse one —
 * retire a style by removing it and add new ones under new ids.
 */

export interface StyleModifier {
  /** Stable kebab-case id. */
  id: string;
  /** Completes "Write it …": lower case, no trailing period. */
  text: string;
}

export const STYLES: readonly StyleModifier[] = [
  { id: 'second-person', text: 'in second person' },
  { id: 'letters', text: 'as a series of letters' },
  { id: 'reverse-chronological', text: 'in reverse chronological order' },
  { id: 'under-150-words', text: 'in under 150 words' },
  { id: 'unreliable-narrator', text: 'with an unreliable narrator' },
  { id: 'all-dialogue', text: 'entirely in dialogue' },
  { id: 'present-tense', text: 'in present tense' },
  { id: 'antagonist-pov', text: "from the antagonist's point of view" },
  { id: 'twist-ending', text: 'with a twist ending' },
  { id: 'diary-entry', text: 'as a diary entry' },
  { id: 'folk-tale', text: 'in the style of a folk tale' },
  { id: 'sensory-detail', text: 'with vivid sensory detail' },
  { id: 'single-day', text: 'so that everything happens within a single day' },
  { id: 'minor-character-pov', text: 'from the point of view of a minor character' },
  { id: 'object-narrator', text: 'narrated by an object that witnesses the events' },
  { id: 'circular-ending', text: 'so that it ends where it began' },
];

const byId = new Map(STYLES.map((s) => [s.id, s]));

export function styleById(id: string): StyleModifier | undefined {
  return byId.get(id);
}
