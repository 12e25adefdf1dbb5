/**
 * One plain-text line about a fine-tune round, for the CLI and logs. Plain on purpose: the
 * command line does not load discord.js or the Discord views (src/discord/embeds/personal.ts).
 */
import type { FineTuneRound } from '../storage/fineTune.ts';

export function roundSummary(round: FineTuneRound): string {
  const parts = [`Fine-tune round ${round.round} at ${round.examples} examples`];
  if (round.build.status === 'built' && round.build.model) {
    parts.push(`built ${round.build.model}${round.build.removed ? ` (removed ${round.build.removed})` : ''}`);
  } else {
    parts.push(`no personal model built: ${round.build.reason ?? round.build.status}`);
  }
  const best = round.bestParams.overall;
  if (best) {
    const p = best.generation_params;
    parts.push(`best: ${best.best_model} (temperature ${p.temperature} · top-p ${p.top_p} · max ${p.max_tokens} tokens)`);
  }
  return parts.join(' · ');
}
