"""What an office would write today to check its returned sheets: python-calamine on all cores.

    python check_calamine.py card|table DIR

Reads the first sheet of every workbook under DIR in a process pool (one process per core),
finds the fields by their labels, as kaito does, and prints one line per file (the item, the
department, the statuses) followed by the problems: a missing or unknown status, a missing
narrative. The bench (bench/run.sh) times it against `kaito check` on the same files.
"""
import os
import sys
from multiprocessing import Pool

from python_calamine import CalamineWorkbook

STATUS_CARD = {"順調", "概ね順調", "やや遅れ", "遅れ", "完了", "未着手", "中止", "-"}
STATUS_TABLE = {"計画どおり", "目標達成", "計画未満", "未実施"}
TABLE_HEADERS = {"項目No.": "no", "取組項目": "name", "担当部署": "dept", "実施内容": "done",
                 "実施過程での新たな問題・課題": "problems", "次年度の方針": "next", "進捗区分": "status"}


def text(v):
    return "" if v is None else str(v).strip()


def right_of(rows, label):
    for row in rows:
        for i, v in enumerate(row):
            if text(v) == label:
                return next((text(x) for x in row[i + 1:] if text(x)), "")
    return ""


def below(rows, label):
    for n, row in enumerate(rows):
        for i, v in enumerate(row):
            if text(v) == label:
                return next((text(r[i]) for r in rows[n + 1:] if len(r) > i and text(r[i])), "")
    return ""


def card(path, rows):
    code, dept = right_of(rows, "事業コード"), right_of(rows, "回答課")
    # The half's column: the "上半期" under the year's header, the row below the labels.
    col = next((i for r in rows for i, v in enumerate(r) if text(v).startswith("令和3年度(")), None)
    statuses, problems = [], []
    for n, row in enumerate(rows):
        if col is not None and len(row) > col and len(row) > 2 and text(row[2]) == "実績":
            s = text(row[col])
            statuses.append(s)
            if not s:
                problems.append(f"{path}: 行{n + 1} 実績が空です")
            elif s not in STATUS_CARD:
                problems.append(f"{path}: 行{n + 1} 実績「{s}」は区分にありません")
    if not below(rows, "令和3年度上半期の取組状況等"):
        problems.append(f"{path}: 取組状況等が空です")
    return f"{code}\t{dept}\t{','.join(statuses)}", problems


def table(path, rows):
    head = next((n for n, r in enumerate(rows) if any(text(v) in TABLE_HEADERS for v in r)), None)
    if head is None:
        return f"{path}\t見出しなし", [f"{path}: 見出しが見つかりません"]
    cols = {TABLE_HEADERS[text(v)]: i for i, v in enumerate(rows[head]) if text(v) in TABLE_HEADERS}
    lines, problems = [], []
    for n, row in enumerate(rows[head + 1:], start=head + 2):
        get = lambda k: text(row[cols[k]]) if k in cols and cols[k] < len(row) else ""
        if not get("name"):
            continue
        s = get("status")
        lines.append(f"{get('name')}:{s}")
        if not s:
            problems.append(f"{path}: 行{n} 進捗区分が空です")
        elif s not in STATUS_TABLE:
            problems.append(f"{path}: 行{n} 進捗区分「{s}」は区分にありません")
        if not get("done"):
            problems.append(f"{path}: 行{n} 実施内容が空です")
    return f"{path}\t{len(lines)}行", problems


def one(job):
    form, path = job
    wb = CalamineWorkbook.from_path(path)
    rows = wb.get_sheet_by_index(0).to_python()
    return (card if form == "card" else table)(path, rows)


def main():
    form, root = sys.argv[1], sys.argv[2]
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs
                   if f.endswith(".xlsx") and not f.startswith("~$"))
    with Pool(os.cpu_count()) as pool:
        results = pool.map(one, [(form, f) for f in files], chunksize=16)
    problems = 0
    for line, found in results:
        print(line)
        for p in found:
            print("  " + p)
        problems += len(found)
    print(f"{len(files)} files, {problems} problems")


if __name__ == "__main__":
    main()
