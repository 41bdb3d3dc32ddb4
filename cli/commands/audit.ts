// credit-etl audit verify|checkpoint: the access log's keyed hash chain, checked against the latest
// signed checkpoint kept outside the database; exit 1 when an entry was edited, deleted or cut off.
import { Command } from 'commander';
import { verifyAccessLog } from '../../store/access-log.ts';
import { latestCheckpoint, writeCheckpoint } from '../../store/audit-checkpoint.ts';
import { config, UsageError, withDb } from '../context.ts';

export function register(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident access and operation log');
  audit.command('verify').description('check the keyed hash chain of the access log against the latest checkpoint')
    .option('--checkpoint-dir <dir>', 'where the checkpoints are (default CREDIT_ETL_AUDIT_CHECKPOINT_DIR)')
    .option('--json', 'JSON output')
    .action(async (opts) => withDb(async (db) => {
      let checkpoint;
      try {
        checkpoint = latestCheckpoint(opts.checkpointDir ?? config.audit.checkpointDir, db.audit);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const r = await verifyAccessLog(db, { checkpoint });
      if (opts.json) {
        console.log(JSON.stringify(r));
      } else if (r.ok) {
        console.log(`访问日志完整 / access log intact: ${r.entries} entries`
          + (r.checkpoint ? `; 与检查点一致 / matches the checkpoint of ${r.checkpoint.at} (#${r.checkpoint.seq})` : ''));
      } else {
        console.log(`访问日志被篡改 / access log tampered with: ${r.problems.length} problem(s) in ${r.entries} entries`);
        for (const p of r.problems) console.log(`  #${p.seq} ${p.kind}: ${p.messageZh} / ${p.messageEn}`);
      }
      if (!r.checkpoint) console.error('警告：没有检查点，无法发现末尾被删除的记录（credit-etl audit checkpoint） / warning: no checkpoint, entries cut off the end cannot be detected (credit-etl audit checkpoint)');
      if (!r.ok) process.exitCode = 1;
    }));
  audit.command('checkpoint').description('write a signed checkpoint of the access log outside the database (serve does it periodically)')
    .option('--checkpoint-dir <dir>', 'where to write it (default CREDIT_ETL_AUDIT_CHECKPOINT_DIR)')
    .action(async (opts) => withDb(async (db) => {
      const r = await writeCheckpoint(db, { dir: opts.checkpointDir ?? config.audit.checkpointDir, webhook: config.audit.checkpointWebhook });
      console.log(`${r.written ? 'checkpoint written' : 'unchanged since the last checkpoint'}: #${r.checkpoint.seq} ${r.checkpoint.hash} ${r.checkpoint.at}`);
      if (r.webhookError) {
        console.error(`webhook failed: ${r.webhookError}`);
        process.exitCode = 1;
      }
    }));
}
