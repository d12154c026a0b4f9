import { ConfigError, loadConfig, scimBaseUrl } from './config';
import { createContainer } from './container';
import type { Provider } from './directory/models';
import { createLogger } from './shared/logger';

const USAGE = `usage:
  scim-sync org create --org <slug> [--name <name>] [--json]
  scim-sync org list [--json]
  scim-sync directory create --org <slug> --name <name> --provider okta|entra|generic [--json]
  scim-sync directory list --org <slug> [--json]
  scim-sync token rotate --org <slug> --directory <id|name> [--json]      (new token; old ones keep working)
  scim-sync token revoke --org <slug> --directory <id|name> (--token <tokenId> | --all-but-newest) [--json]
  scim-sync token list --org <slug> --directory <id|name> [--json]
  scim-sync admin-key create --org <slug> [--name <name>] [--role preset:org-owner|<role id>] [--json]
  scim-sync admin-key revoke --org <slug> --key <id> [--json]`;

type Flags = Record<string, string | true>;

function parseArgs(argv: string[]): { words: string[]; flags: Flags } {
  const words: string[] = [];
  const flags: Flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2);
      if (v !== undefined) flags[k] = v;
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) flags[k] = argv[++i];
      else flags[k] = true;
    } else words.push(a);
  }
  return { words, flags };
}

function required(flags: Flags, name: string): string {
  const v = flags[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

class UsageError extends Error {}

/** Operator CLI: tenants, directories and their tokens. Prints JSON with --json for scripts. */
export async function runCli(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const { words, flags } = parseArgs(argv);
  const json = flags.json === true;
  const print = (human: string, data: unknown) => out(json ? JSON.stringify(data, null, 2) + '\n' : human + '\n');
  const config = loadConfig();
  const c = await createContainer(config, { log: createLogger('silent') });
  try {
    await c.ensureIndexes();
    const cmd = words.slice(0, 2).join(' ');
    switch (cmd) {
      case 'org create': {
        const { org, created } = await c.tenancy.ensureOrganization(required(flags, 'org'), flags.name as string | undefined);
        print(`${created ? 'created' : 'exists'}: organization ${org.slug} (${org._id})`, { organization: org, created });
        return 0;
      }
      case 'org list': {
        const orgs = await c.tenancy.listOrganizations();
        print(orgs.map((o) => `${o.slug}\t${o._id}\t${o.name}`).join('\n'), { organizations: orgs });
        return 0;
      }
      case 'directory create': {
        const { org } = await c.tenancy.ensureOrganization(required(flags, 'org'));
        const { directory, token } = await c.tenancy.createDirectory({
          orgId: org._id,
          name: required(flags, 'name'),
          provider: required(flags, 'provider') as Provider,
        });
        const base = scimBaseUrl(config);
        print(
          `directory ${directory.name} (${directory._id}) in ${org.slug}\nSCIM base URL: ${base}\nbearer token (shown once): ${token.token}`,
          { organization: { id: org._id, slug: org.slug }, directory, scimBaseUrl: base, token: token.token, tokenId: token.tokenId },
        );
        return 0;
      }
      case 'directory list': {
        const org = await c.tenancy.findOrganization(required(flags, 'org'));
        const dirs = await c.tenancy.listDirectories(org._id);
        print(dirs.map((d) => `${d.name}\t${d._id}\t${d.provider}`).join('\n'), { directories: dirs });
        return 0;
      }
      case 'token rotate':
      case 'token revoke':
      case 'token list': {
        const org = await c.tenancy.findOrganization(required(flags, 'org'));
        const dir = await c.tenancy.findDirectory(org._id, required(flags, 'directory'));
        if (cmd === 'token rotate') {
          const token = await c.tenancy.issueToken(dir._id);
          print(
            `new token (shown once): ${token.token}\nold tokens keep working until: scim-sync token revoke --org ${org.slug} --directory ${dir.name} --all-but-newest`,
            { directoryId: dir._id, token: token.token, tokenId: token.tokenId },
          );
        } else if (cmd === 'token revoke') {
          if (flags['all-but-newest'] === true) {
            const n = await c.tenancy.revokeOlderTokens(dir._id);
            print(`revoked ${n} token(s)`, { revoked: n });
          } else {
            const tokenId = required(flags, 'token');
            await c.tenancy.revokeToken(dir._id, tokenId);
            print(`revoked ${tokenId}`, { revoked: 1, tokenId });
          }
        } else {
          const tokens = await c.tenancy.listTokens(dir._id);
          print(
            tokens.map((t) => `${t.id}\t…${t.hint}\t${t.revokedAt ? 'revoked' : 'active'}\tcreated ${t.createdAt.toISOString()}`).join('\n'),
            { tokens },
          );
        }
        return 0;
      }
      case 'admin-key create': {
        const { org } = await c.tenancy.ensureOrganization(required(flags, 'org'));
        const roleId = typeof flags.role === 'string' ? flags.role : 'preset:org-owner';
        const { key, secret } = await c.rbac.createAdminKey(org._id, typeof flags.name === 'string' ? flags.name : 'cli', roleId);
        await c.audit.record({ orgId: org._id, actor: { type: 'system', id: 'cli' }, action: 'admin_key.created', target: { type: 'adminKey', id: key._id, display: key.name }, summary: { roleId } });
        print(`admin key ${key._id} for ${org.slug} (shown once): ${secret}`, { organization: { id: org._id, slug: org.slug }, adminKeyId: key._id, adminKey: secret, roleId });
        return 0;
      }
      case 'admin-key revoke': {
        const org = await c.tenancy.findOrganization(required(flags, 'org'));
        await c.rbac.revokeAdminKey(org._id, required(flags, 'key'));
        await c.audit.record({ orgId: org._id, actor: { type: 'system', id: 'cli' }, action: 'admin_key.revoked', target: { type: 'adminKey', id: String(flags.key) }, summary: {} });
        print(`revoked admin key ${String(flags.key)}`, { revoked: flags.key });
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${words.join(' ')}"`);
    }
  } finally {
    await c.close();
  }
}

/** Runs the CLI as a process: exit code 0 on success, 64 on a usage error, 1 otherwise. */
export function cliMain(argv: string[]): void {
  runCli(argv).then(
    (code) => process.exit(code),
    (err) => {
      if (err instanceof UsageError) process.stderr.write(`scim-sync: ${err.message}\n${USAGE}\n`);
      else if (err instanceof ConfigError) process.stderr.write(`scim-sync: ${err.message}\n`);
      else process.stderr.write(`scim-sync: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(err instanceof UsageError ? 64 : 1);
    },
  );
}

if (require.main === module) cliMain(process.argv.slice(2));
