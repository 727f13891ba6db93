"""The store on PostgreSQL: the same operations as the SQLite Store, for several workers sharing one database."""
