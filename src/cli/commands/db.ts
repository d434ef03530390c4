/** `flussjs db list | create NAME | drop NAME [--cascade] | describe NAME`. */
import type { Command } from "commander";
import type { Runtime } from "../runtime.js";
import { examples } from "../args.js";

const HELP_AFTER = `
Examples:
  $ flussjs db list
  $ flussjs db create shop --comment "the web shop"
  $ flussjs db describe shop
  $ flussjs db drop shop --cascade       # with its tables
`;

/** Registers `flussjs db`. */
export function registerDb(program: Command, rt: Runtime): void {
  const db = program.command("db").description("list, create, drop and describe databases").addHelpText("after", HELP_AFTER);

  db.command("list")
    .addHelpText("after", examples("flussjs db list"))
    .description("list the databases")
    .action(
      rt.run(async () => {
        const admin = (await rt.connect()).getAdmin();
        for (const name of (await admin.listDatabases()).sort()) rt.io.out(`${name}\n`);
      }),
    );

  db.command("create")
    .addHelpText("after", examples("flussjs db create shop", 'flussjs db create shop --if-not-exists --comment "the web shop"'))
    .description("create a database")
    .argument("<name>", "database name")
    .option("--if-not-exists", "succeed when it exists already")
    .option("--comment <text>", "a comment")
    .action(
      rt.run(async (name: string, opts: { ifNotExists?: boolean; comment?: string }) => {
        const { DatabaseDescriptor } = await import("../../index.js");
        const admin = (await rt.connect()).getAdmin();
        await admin.createDatabase(name, {
          ignoreIfExists: opts.ifNotExists ?? false,
          ...(opts.comment !== undefined ? { descriptor: new DatabaseDescriptor({ comment: opts.comment }) } : {}),
        });
        rt.io.out(`created database ${name}\n`);
      }),
    );

  db.command("drop")
    .addHelpText("after", examples("flussjs db drop shop", "flussjs db drop shop --cascade --if-exists"))
    .description("drop a database (with --cascade also its tables)")
    .argument("<name>", "database name")
    .option("--cascade", "drop its tables too (else a database with tables is refused)")
    .option("--if-exists", "succeed when it does not exist")
    .action(
      rt.run(async (name: string, opts: { cascade?: boolean; ifExists?: boolean }) => {
        const admin = (await rt.connect()).getAdmin();
        await admin.dropDatabase(name, { cascade: opts.cascade ?? false, ignoreIfNotExists: opts.ifExists ?? false });
        rt.io.out(`dropped database ${name}\n`);
      }),
    );

  db.command("describe")
    .addHelpText("after", examples("flussjs db describe shop"))
    .description("show a database's comment, properties, times and tables")
    .argument("<name>", "database name")
    .action(
      rt.run(async (name: string) => {
        const admin = (await rt.connect()).getAdmin();
        const info = await admin.getDatabaseInfo(name);
        const tables = await admin.listTables(name);
        const lines = [
          `database  ${info.databaseName}`,
          ...(info.descriptor.comment ? [`comment   ${info.descriptor.comment}`] : []),
          ...Object.entries(info.descriptor.customProperties).map(([k, v]) => `property  ${k}=${v}`),
          `created   ${new Date(info.createdTime).toISOString()}`,
          `modified  ${new Date(info.modifiedTime).toISOString()}`,
          `tables    ${tables.length === 0 ? "(none)" : tables.sort().join(", ")}`,
        ];
        rt.io.out(`${lines.join("\n")}\n`);
      }),
    );
}
