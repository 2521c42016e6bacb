//! File-system helpers every layer shares: OS errors in plain Japanese, the identity of a
//! file however it was named, atomic writes, and the plan files near a mistyped path.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// An OS error as an office user can act on it. The OS's own wording (English on most
/// machines) is kept out of sight; the kind decides the sentence.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::NotFound => "見つかりません".into(),
        ErrorKind::PermissionDenied => "アクセスが許可されていません(権限がないか、別のプログラムが使っています)".into(),
        ErrorKind::AlreadyExists => "同じ名前のものが既にあります".into(),
        ErrorKind::IsADirectory => "ファイルではなくフォルダです".into(),
        ErrorKind::NotADirectory => "フォルダではありません".into(),
        ErrorKind::InvalidFilename => "名前が長すぎるか、使えない文字を含んでいます".into(),
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => "ディスクの空きが足りません".into(),
        ErrorKind::ReadOnlyFilesystem => "読み取り専用の場所です".into(),
        ErrorKind::ResourceBusy => "別のプログラムが使用中です".into(),
        ErrorKind::InvalidData => "内容が壊れています".into(),
        ErrorKind::UnexpectedEof => "途中で終わっています(壊れているか、コピーが終わっていません)".into(),
        _ => match e.raw_os_error() {
            // ENAMETOOLONG on Unix, ERROR_FILENAME_EXCED_RANGE on Windows.
            Some(36) | Some(206) => "パスが長すぎます".into(),
            Some(code) => format!("OS のエラー(番号 {code})"),
            None => "入出力のエラー".into(),
        },
    }
}

/// The path's identity on disk: canonical when it exists, else canonical parent + name, else
/// the path made absolute. Two spellings of one file (relative, absolute, through a link)
/// compare equal.
pub fn identity(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map(|d| d.join(path)).unwrap_or_else(|_| path.to_path_buf())
    };
    match (absolute.parent(), absolute.file_name()) {
        (Some(parent), Some(name)) => std::fs::canonicalize(parent).map(|p| p.join(name)).unwrap_or(absolute),
        _ => absolute,
    }
}

/// A temporary name beside `path`: the same folder, so that the final rename never crosses
/// file systems.
pub fn temp_beside(path: &Path) -> PathBuf {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    dir.join(format!(".{name}.{}.tmp", std::process::id()))
}

/// Writes all `(path, bytes)` pairs so that each target holds either its old content or the
/// complete new one: every file is written to a temporary name first, and only when all of
/// them are written are they renamed into place, one after the other. The outputs of one
/// run therefore go out together. On failure the temporary files are removed.
pub fn write_all_atomic(outputs: &[(&Path, &[u8])]) -> Result<(), (PathBuf, String)> {
    let outputs: Vec<(&Path, Content)> = outputs.iter().map(|(p, b)| (*p, Content::Bytes(b))).collect();
    write_all_atomic_with(&outputs)
}

/// What an output file holds: bytes made before, or bytes written straight to the file as
/// they are made (a JSON summary of 100,000 files is some 500 MB: held whole first, it
/// doubled what the run held).
pub enum Content<'a> {
    Bytes(&'a [u8]),
    Written(&'a dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>),
}

impl Content<'_> {
    fn write_to(&self, path: &Path) -> std::io::Result<()> {
        match self {
            Content::Bytes(b) => std::fs::write(path, b),
            Content::Written(write) => {
                use std::io::Write;
                let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
                write(&mut file)?;
                file.flush()
            }
        }
    }
}

/// [`write_all_atomic`] for outputs of either kind.
pub fn write_all_atomic_with(outputs: &[(&Path, Content)]) -> Result<(), (PathBuf, String)> {
    let mut temps: Vec<PathBuf> = Vec::new();
    let cleanup = |temps: &[PathBuf]| {
        for t in temps {
            let _ = std::fs::remove_file(t);
        }
    };
    for (path, content) in outputs {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if !dir.exists()
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            cleanup(&temps);
            return Err((path.to_path_buf(), format!("出力先フォルダ {} を作れません({})", dir.display(), io_reason(&e))));
        }
        if path.is_dir() {
            cleanup(&temps);
            return Err((path.to_path_buf(), "同じ名前のフォルダがあります".into()));
        }
        let tmp = temp_beside(path);
        if let Err(e) = content.write_to(&tmp) {
            let _ = std::fs::remove_file(&tmp);
            cleanup(&temps);
            return Err((path.to_path_buf(), io_reason(&e)));
        }
        temps.push(tmp);
    }
    for (i, (path, _)) in outputs.iter().enumerate() {
        if let Err(e) = std::fs::rename(&temps[i], path) {
            cleanup(&temps[i..]);
            return Err((path.to_path_buf(), io_reason(&e)));
        }
    }
    Ok(())
}

/// Refuses to write where Excel has the file open (its `~$` lock file lies beside it).
pub fn refuse_open_in_excel(path: &Path) -> anyhow::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    if dir.join(format!("~${name}")).exists() {
        anyhow::bail!("出力ファイル {} は Excel で開かれています。Excel で閉じてから、もう一度実行してください", path.display());
    }
    Ok(())
}

/// Writes the outputs of one run together (see `write_all_atomic`), after making sure none
/// of them is open in Excel.
pub fn write_outputs(outputs: &[(&Path, &[u8])]) -> anyhow::Result<()> {
    let outputs: Vec<(&Path, Content)> = outputs.iter().map(|(p, b)| (*p, Content::Bytes(b))).collect();
    write_outputs_with(&outputs)
}

/// [`write_outputs`] for outputs of either kind.
pub fn write_outputs_with(outputs: &[(&Path, Content)]) -> anyhow::Result<()> {
    for (path, _) in outputs {
        refuse_open_in_excel(path)?;
    }
    write_all_atomic_with(outputs).map_err(|(path, why)| {
        anyhow::anyhow!(
            "出力ファイル {} に書き込めません({why})。ファイルが開かれていないか、書き込み権限があるか確認してください",
            path.display()
        )
    })
}

/// Plan files a user may have meant when `wanted` does not exist: spreadsheets, TOML and
/// JSON in its folder (or the current one) and in a `計画` folder there, names with 計画 first.
pub fn nearby_plan_files(wanted: &Path) -> Vec<String> {
    let dir = wanted.parent().filter(|d| !d.as_os_str().is_empty() && d.is_dir()).unwrap_or(Path::new("."));
    let mut found = Vec::new();
    let mut look = |d: &Path| {
        let Ok(entries) = std::fs::read_dir(d) else { return };
        for e in entries.flatten() {
            let p = e.path();
            let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("").to_lowercase();
            let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            if p.is_file() && !name.starts_with("~$") && ["xlsx", "xlsm", "xls", "ods", "toml", "json"].contains(&ext.as_str()) {
                found.push(p);
            }
        }
    };
    look(dir);
    look(&dir.join("計画"));
    found.sort_by_key(|p| (!p.to_string_lossy().contains("計画"), p.clone()));
    found.into_iter().take(5).map(|p| p.strip_prefix("./").unwrap_or(&p).display().to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_read_in_japanese() {
        let e = std::fs::read("/definitely/not/here").unwrap_err();
        assert_eq!(io_reason(&e), "見つかりません");
        assert!(!io_reason(&std::io::Error::from_raw_os_error(36)).is_empty());
    }

    #[test]
    fn one_file_has_one_identity() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.xlsx");
        std::fs::write(&f, b"x").unwrap();
        let dotted = dir.path().join(".").join("a.xlsx");
        assert_eq!(identity(&f), identity(&dotted));
        assert_eq!(identity(&dir.path().join("new.xlsx")), identity(&dir.path().join("./new.xlsx")));
    }

    #[test]
    fn an_output_written_as_it_is_made_goes_out_with_the_others_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.xlsx"), dir.path().join("b.json"));
        let write = |out: &mut dyn std::io::Write| out.write_all("{\"件数\": 1}".as_bytes());
        write_all_atomic_with(&[(&a, Content::Bytes(b"book")), (&b, Content::Written(&write))]).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"book");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "{\"件数\": 1}");
        // A writing that fails leaves both as they were, and no temporary file behind.
        let fail = |out: &mut dyn std::io::Write| {
            out.write_all(b"{")?;
            Err(std::io::Error::other("途中で失敗"))
        };
        let err = write_all_atomic_with(&[(&a, Content::Bytes(b"new")), (&b, Content::Written(&fail))]).unwrap_err();
        assert!(err.0.ends_with("b.json"), "{err:?}");
        assert_eq!(std::fs::read(&a).unwrap(), b"book");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "{\"件数\": 1}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn outputs_go_out_together() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.json");
        let b = dir.path().join("sub/b.xlsx");
        write_all_atomic(&[(&a, b"{}"), (&b, b"book")]).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"{}");
        assert_eq!(std::fs::read(&b).unwrap(), b"book");
        // A target that cannot be written leaves the other untouched.
        std::fs::create_dir_all(dir.path().join("x.json")).unwrap();
        let err = write_all_atomic(&[(&a, b"new"), (&dir.path().join("x.json"), b"y")]).unwrap_err();
        assert!(err.0.ends_with("x.json"));
        std::fs::write(dir.path().join("file"), b"").unwrap();
        assert!(write_all_atomic(&[(&a, b"new"), (&dir.path().join("file/y.json"), b"y")]).is_err());
        assert_eq!(std::fs::read(&a).unwrap(), b"{}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4, "no temporary file left behind");
    }
}
