"""What an office would write today to merge its returned sheets: openpyxl, one process.

    python consolidate_openpyxl.py card|table DIR OUT.xlsx

Opens every workbook under DIR, copies its first sheet's values into a sheet of its own in one
workbook, and adds a 一覧 sheet with one line per file (the item, the department, the
statuses) — the macro most offices run today, without kaito's checks, summaries or layout.
The bench (bench/run.sh) times it against `kaito consolidate` on the same files.
"""
import os
import sys

from openpyxl import Workbook, load_workbook


def text(v):
    return "" if v is None else str(v).strip()


def main():
    form, root, out = sys.argv[1], sys.argv[2], sys.argv[3]
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs
                   if f.endswith(".xlsx") and not f.startswith("~$"))
    merged = Workbook()
    summary = merged.active
    summary.title = "一覧"
    summary.append(["ファイル", "項目", "担当", "状況"])
    for n, path in enumerate(files):
        ws = load_workbook(path, data_only=True).worksheets[0]
        copy = merged.create_sheet(f"s{n}")
        item = dept = ""
        statuses = []
        for row in ws.iter_rows(values_only=True):
            copy.append(row)
            cells = [text(v) for v in row]
            if form == "card":
                if "事業コード" in cells:
                    item = next((c for c in cells[cells.index("事業コード") + 1:] if c), "")
                if "回答課" in cells:
                    dept = next((c for c in cells[cells.index("回答課") + 1:] if c), "")
                if len(cells) > 5 and cells[2] == "実績":
                    statuses.append(cells[5])
            elif len(cells) > 8 and cells[1] and cells[0] != "項目No.":
                item, dept = cells[1], cells[2]
                statuses.append(cells[8])
        summary.append([os.path.basename(path), item, dept, ",".join(statuses)])
    merged.save(out)
    print(f"{len(files)} files merged into {out}")


if __name__ == "__main__":
    main()
