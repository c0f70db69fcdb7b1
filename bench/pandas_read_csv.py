"""One pandas.read_csv of a MovieLens ratings.csv, for bench/run_load_bench.sh.

usage: pandas_read_csv.py PATH default|dtypes|pyarrow

Prints one line, "rows=N read_csv_s=S frame_bytes=B": the rows read, the seconds spent in the
read_csv call alone (interpreter start and `import pandas` excluded, so the comparison is the
kindest to pandas) and the bytes of the resulting columns.
"""
import sys
import time

import pandas as pd

# The narrowest types that hold MovieLens ratings; the same widths as cofi's columns.
DTYPES = {"userId": "uint32", "movieId": "uint32", "rating": "float32", "timestamp": "int64"}


def main() -> None:
    path, variant = sys.argv[1], sys.argv[2]
    kwargs = {}
    if variant == "dtypes":
        kwargs["dtype"] = DTYPES
    elif variant == "pyarrow":
        kwargs["engine"] = "pyarrow"
        kwargs["dtype"] = DTYPES
    elif variant != "default":
        sys.exit(f"unknown variant {variant!r}: expected default, dtypes or pyarrow")
    start = time.perf_counter()
    frame = pd.read_csv(path, **kwargs)
    seconds = time.perf_counter() - start
    frame_bytes = int(frame.memory_usage(index=False).sum())
    print(f"rows={len(frame)} read_csv_s={seconds:.6f} frame_bytes={frame_bytes}")


if __name__ == "__main__":
    main()
