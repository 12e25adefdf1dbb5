/** The CLI's usage text, kept apart from the commands so printing it loads none of them. */
import { DPO_MARGIN } from '../personal/datasets.ts';

export const DATASET_USAGE = `  dataset export --user ID [--format sft|alpaca|dpo] [--margin M] [--min-quality Q]
                        the user's fine-tuning examples as JSON lines: chat-format SFT (default),
                        Alpaca, or DPO preference pairs (a losing candidate at least M, default
                        ${DPO_MARGIN}, below the winner's story score)
  dataset status --user ID [--json]
                        fine-tune rounds, the countdown and the personal model
  dataset modelfile --user ID
                        the Modelfile the next round would create (ollama create NAME -f FILE)
  dataset round --user ID [--json]
                        run a fine-tune round now (builds the personal model when Ollama answers)`;

export const DB_USAGE = `  db status             schema version of the database named by STORAGE_URL (changes nothing)
  db migrate            apply pending migrations (also done at every start)`;

export const USAGE = `Usage: npm run --silent cli -- <command> [options]

Commands:
  train --examples N [--genres a,b] [--save] [--memory] [--user ID]
        [--voting consensus|mbr|jury] [--seed S] [--teachers all|auto] [--json]
                        run a training session against the configured teachers
                        (SIGTERM or Ctrl-C: finishes the examples in flight, ends it interrupted)
  train --resume RUN_ID [--json]
                        continue an interrupted run where it stopped
  runs --user ID [--limit N] [--json]
                        a user's runs with status and progress (and how to resume interrupted ones)
  score [--input FILE]  text and story quality of JSON lines {"id","text"[,"prompt"]} (stdin by default)
  vote  [--input FILE]  consensus vote over JSON lines {"prompt_id"[,"prompt"],"candidates":[{"model","text"}]}
  stories --user ID [--genre G] [--page N] [--sort newest|best] [--json]
                        list a user's saved stories
  stories show ID --user ID
  stories export --user ID [--format jsonl|md]
${DATASET_USAGE}
  forget --user ID --yes
                        erase everything Zega keeps about a user (stories, runs,
                        statistics, memory, dataset, rounds, personal models)
${DB_USAGE}
`;
