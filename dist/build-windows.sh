#!/usr/bin/env bash
# Builds kaito.exe for Windows on this Linux machine and packs what a city's office receives:
#
#   dist/build-windows.sh          → target/dist/kaito-windows.zip
#   dist/build-windows.sh --check  → only builds, and checks the result is a Windows program
#
# The zip holds kaito/kaito.exe, kaito/使い方.txt and kaito/見本/ (the samples, each a ready
# working folder with its kaito.toml). It installs, once, what the cross-build needs:
#   - the Rust target x86_64-pc-windows-gnu (rustup target add)
#   - Debian's gcc-mingw-w64-x86-64, whose x86_64-w64-mingw32-gcc links the .exe (apt-get)
set -euo pipefail
cd "$(dirname "$0")/.."
check_only=0
[ "${1:-}" = "--check" ] && check_only=1

if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
  echo "installing gcc-mingw-w64-x86-64 (the linker for Windows programs)" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -q >/dev/null
  $sudo apt-get install -y -q gcc-mingw-w64-x86-64 >/dev/null
fi
if ! rustup target list --installed | grep -qx x86_64-pc-windows-gnu; then
  echo "adding the Rust target x86_64-pc-windows-gnu" >&2
  rustup target add x86_64-pc-windows-gnu
fi

export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
cargo build --release --locked --target x86_64-pc-windows-gnu
exe="${CARGO_TARGET_DIR:-target}/x86_64-pc-windows-gnu/release/kaito.exe"

# A Windows program: "MZ" at the start, and the "PE\0\0" signature where the header points.
python3 - "$exe" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:2] == b"MZ", "not an MZ executable"
pe = struct.unpack_from("<I", data, 0x3C)[0]
assert data[pe:pe + 4] == b"PE\0\0", "no PE signature"
machine = struct.unpack_from("<H", data, pe + 4)[0]
assert machine == 0x8664, f"not x86-64 (machine {machine:#x})"
print(f"{sys.argv[1]}: Windows x86-64 program, {len(data) / 1e6:.1f} MB")
PY
[ "$check_only" = 1 ] && exit 0

stage=target/dist/kaito
rm -rf target/dist
mkdir -p "$stage/見本"
cp "$exe" "$stage/kaito.exe"
# Windows' Notepad and Explorer read UTF-8 with a BOM and CRLF line ends best.
printf '\xef\xbb\xbf' > "$stage/使い方.txt"
sed 's/$/\r/' dist/使い方.txt >> "$stage/使い方.txt"
for sample in samples/*/; do
  name=$(basename "$sample")
  [ -f "$sample/計画.xlsx" ] || continue
  dest="$stage/見本/$name"
  mkdir -p "$dest"
  # The sample as the office has it: plan and returned sheets (not the sources they were made from).
  (cd "$sample" && find . -path ./source -prune -o -type f -print | while read -r f; do
     mkdir -p "$OLDPWD/$dest/$(dirname "$f")"; cp "$f" "$OLDPWD/$dest/$f"; done)
  case "$name" in
    報告回答票) period=2021H1; form=報告回答票 ;;
    報告回答票_2024-2027) period=2024H1; form=報告回答票 ;;
    進捗管理表) period=2020; form=進捗管理表 ;;
    取組評価シート) period=2022; form=取組評価シート ;;
    取組実績票) period=2023; form=取組実績票 ;;
    *) period=""; form="" ;;
  esac
  cat >"$dest/kaito.toml" <<TOML
# 見本の作業フォルダの設定。このフォルダに kaito.exe を置いてダブルクリックすると、
# 回答/ の回答票を点検し、集計/ に集計ブック、差戻し/ に差戻しファイルを作ります。
plan = "計画.xlsx"
period = "$period"
form = "$form"
TOML
  sed -i 's/$/\r/' "$dest/kaito.toml"
done
python3 - <<'PY'
import os, zipfile
root = "target/dist"
with zipfile.ZipFile(os.path.join(root, "kaito-windows.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    for dirpath, _, files in os.walk(os.path.join(root, "kaito")):
        for f in sorted(files):
            path = os.path.join(dirpath, f)
            z.write(path, os.path.relpath(path, root))
print("target/dist/kaito-windows.zip")
PY
