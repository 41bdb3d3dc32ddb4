// credit-etl audit verify: walks the access log's hash chain; exit 1 when an entry was edited,
// deleted or cut off.
import { Command } from 'commander';
import { verifyAccessLog } from '../../store/access-log.ts';
import { withDb } from '../context.ts';

export function register(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident access and operation log');
  audit.command('verify').description('check the hash chain of the access log')
    .option('--json', 'JSON output')
    .action(async (opts) => withDb(async (db) => {
      const r = await verifyAccessLog(db);
      if (opts.json) {
        console.log(JSON.stringify(r));
      } else if (r.ok) {
        console.log(`访问日志完整 / access log intact: ${r.entries} entries`);
      } else {
        console.log(`访问日志被篡改 / access log tampered with: ${r.problems.length} problem(s) in ${r.entries} entries`);
        for (const p of r.problems) console.log(`  #${p.seq} ${p.kind}: ${p.messageZh} / ${p.messageEn}`);
      }
      if (!r.ok) process.exitCode = 1;
    }));
}
