// credit-etl institutions add|list: the registry of lending institutions that analyst tokens and
// grants refer to (store/institutions.ts).
import { Command } from 'commander';
import { commandLineActor, addInstitution } from '../../api/operations.ts';
import { listInstitutions } from '../../store/institutions.ts';
import { UsageError, withDb } from '../context.ts';

export function register(program: Command): void {
  const inst = program.command('institutions').description('lending institutions (analyst tokens and authorisations refer to them by id)');
  inst.command('add').description('register an institution; a name already registered (after normalisation) is reported, not added twice')
    .argument('<name>').option('--json', 'JSON output')
    .action(async (name: string, opts) => withDb(async (db) => {
      if (!name.trim()) throw new UsageError('金融机构名称不能为空 / the institution needs a name');
      const { institution, created } = await addInstitution(db, { actor: commandLineActor(), requestId: null, now: new Date() }, name);
      console.log(opts.json ? JSON.stringify(institution) : `${institution.id}  ${institution.name}${created ? '' : '  (已登记 already registered)'}`);
    }));
  inst.command('list').description('list the registered institutions').option('--json', 'JSON output')
    .action(async (opts) => withDb(async (db) => {
      const rows = await listInstitutions(db);
      console.log(opts.json ? JSON.stringify(rows) : rows.map((i) => `${i.id}  ${i.name}`).join('\n'));
    }));
}
