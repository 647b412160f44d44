// The version tug reports on `tug version` and `/version`.

export const TUG_VERSION = "v1.20.0-tug.0.1.0";
