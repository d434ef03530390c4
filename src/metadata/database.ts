/** Databases: `DatabaseDescriptor` (what is created) and `DatabaseInfo` (what the server reports). */

/** Options of a database to create. Immutable. */
export class DatabaseDescriptor {
  /** Free-form database comment, if any. */
  readonly comment?: string;
  /** Free-form user properties, in insertion order. */
  readonly customProperties: Readonly<Record<string, string>>;

  /** The options are copied; none gives a descriptor like {@link DatabaseDescriptor.EMPTY}. */
  constructor(options: { comment?: string; customProperties?: Readonly<Record<string, string>> } = {}) {
    if (options.comment !== undefined && options.comment !== null) this.comment = options.comment;
    this.customProperties = Object.freeze({ ...(options.customProperties ?? {}) });
  }

  /** The empty descriptor (no comment, no properties). */
  static readonly EMPTY = new DatabaseDescriptor();
}

/** A database as reported by GetDatabaseInfo. Immutable. */
export class DatabaseInfo {
  /** Usually obtained from `admin.getDatabaseInfo(name)`. */
  constructor(
    /** The database name. */
    readonly databaseName: string,
    /** Comment and custom properties. */
    readonly descriptor: DatabaseDescriptor,
    /** Creation time, epoch ms. */
    readonly createdTime: number,
    /** Last modification time, epoch ms. */
    readonly modifiedTime: number,
  ) {}

  /** The descriptor's comment, if any. */
  get comment(): string | undefined {
    return this.descriptor.comment;
  }

  /** The descriptor's custom properties. */
  get customProperties(): Readonly<Record<string, string>> {
    return this.descriptor.customProperties;
  }
}
