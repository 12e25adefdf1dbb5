/** Every slash command of Zega, in the order `/help` and the deploy script list them. */
import { autotrain } from './autotrain.ts';
import { finetune } from './finetune.ts';
import { forget } from './forget.ts';
import { write } from './write.ts';
import { help } from './help.ts';
import { leaderboard } from './leaderboard.ts';
import { stories } from './stories.ts';
import type { Command } from './types.ts';

export const COMMANDS: readonly Command[] = [autotrain, write, finetune, stories, leaderboard, forget, help];
