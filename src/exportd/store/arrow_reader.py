"""A child process that reads a SQLite store through ADBC and answers in Arrow IPC.

ADBC's SQLite driver carries its own copy of SQLite. Two copies of SQLite in one process
break each other's locks on the same file (POSIX locks belong to the process, and each
copy believes it alone has the file open): closing the driver's connection let it
checkpoint and delete the WAL under the process's other connections, and lost their
commits. So on SQLite the export engine's reads run here, in a process that opens the
store only through the driver, while the server's own connections stay in the server.

Protocol, over the child's standard input and output: the child says it has started (one
byte) and waits for the parent to say when to open its read transaction (one byte: the
parent may hold the store's write lock meanwhile, so that its own read transaction and
the child's see the same commit); then the parent sends an SQL statement as
a 4-byte big-endian length and UTF-8 text; the child answers with a 1-byte status, then an
Arrow IPC stream (status 0) or a 4-byte length and an error message (status 1). The child
opens its read transaction before it says it is ready (one byte), so everything it reads
sees the store as it was then; it ends when its input closes.

    python -m exportd.store.arrow_reader PATH
"""

from __future__ import annotations

import struct
import sys
from typing import BinaryIO

STARTED, BEGIN, READY, OK, FAILED = b"s", b"b", b"r", b"\x00", b"\x01"
_ONE_BATCH = str(2**30)  # rows per Arrow batch: all of them (type inference, see export_reads)


def serve(path: str, requests: BinaryIO, replies: BinaryIO) -> None:
    import adbc_driver_sqlite.dbapi as driver
    import pyarrow as pa

    connection = driver.connect(path)
    try:
        replies.write(STARTED)
        replies.flush()
        if requests.read(1) != BEGIN:  # the parent left before the export began
            return
        cursor = connection.cursor()
        cursor.execute("SELECT 1 FROM sqlite_master LIMIT 1")  # the snapshot starts here
        cursor.fetchall()
        cursor.close()
        replies.write(READY)
        replies.flush()
        while header := requests.read(4):
            (length,) = struct.unpack(">I", header)
            sql = requests.read(length).decode()
            cursor = connection.cursor()
            try:
                cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": _ONE_BATCH})
                cursor.execute(sql)
                table = cursor.fetch_arrow_table()
            except Exception as error:  # told to the parent, which raises it
                message = f"{type(error).__name__}: {error}".encode()
                replies.write(FAILED + struct.pack(">I", len(message)) + message)
                replies.flush()
                continue
            finally:
                cursor.close()
            replies.write(OK)
            with pa.ipc.new_stream(replies, table.schema) as stream:
                stream.write_table(table)
            replies.flush()
    finally:
        connection.rollback()
        connection.close()


if __name__ == "__main__":
    serve(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer)
