//! `serial`: splitting a play's hosts into batches (a number, a percentage, or a list of them
//! whose last entry repeats), and the `max_fail_percentage` test.

use serde_json::Value;

/// Size of one batch entry for `total` hosts: a number, or `"30%"` (floored, at least 1).
fn batch_size(v: &Value, total: usize) -> Result<usize, String> {
    let n = match v {
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::String(s) => {
            let s = s.trim();
            if let Some(pct) = s.strip_suffix('%') {
                let pct: f64 = pct
                    .trim()
                    .parse()
                    .map_err(|_| format!("invalid serial value '{s}'"))?;
                let n = (pct / 100.0 * total as f64).floor();
                return Ok((n as usize).max(1));
            }
            s.parse::<f64>()
                .map_err(|_| format!("invalid serial value '{s}'"))?
        }
        Value::Null => 0.0,
        other => return Err(format!("invalid serial value '{other}'")),
    };
    Ok(if n <= 0.0 { total } else { n as usize })
}

/// Splits `hosts` into serial batches.
pub fn batches<T: Clone>(hosts: &[T], serial: Option<&Value>) -> Result<Vec<Vec<T>>, String> {
    let total = hosts.len();
    let sizes: Vec<Value> = match serial {
        None | Some(Value::Null) => return Ok(vec![hosts.to_vec()]),
        Some(Value::Array(list)) if list.is_empty() => return Ok(vec![hosts.to_vec()]),
        Some(Value::Array(list)) => list.clone(),
        Some(other) => vec![other.clone()],
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while start < total {
        let spec = &sizes[i.min(sizes.len() - 1)];
        let size = batch_size(spec, total)?.max(1);
        let end = (start + size).min(total);
        out.push(hosts[start..end].to_vec());
        start = end;
        i += 1;
    }
    if out.is_empty() {
        out.push(Vec::new());
    }
    Ok(out)
}

/// Has the batch failed beyond `max_fail_percentage` (strictly greater)?
pub fn exceeds_max_fail(failed: usize, batch: usize, max_fail_percentage: f64) -> bool {
    batch > 0 && (failed as f64 / batch as f64) * 100.0 > max_fail_percentage
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serial_forms() {
        let h = ["w1", "w2", "w3", "w4"];
        assert_eq!(batches(&h, None).unwrap(), vec![h.to_vec()]);
        assert_eq!(batches(&h, Some(&json!(3))).unwrap().len(), 2);
        assert_eq!(
            batches(&h, Some(&json!([1, "50%", 3]))).unwrap(),
            vec![vec!["w1"], vec!["w2", "w3"], vec!["w4"]]
        );
        assert_eq!(batches(&h, Some(&json!("30%"))).unwrap().len(), 4);
        assert_eq!(batches(&h, Some(&json!(0))).unwrap(), vec![h.to_vec()]);
    }

    #[test]
    fn max_fail_is_strict() {
        assert!(!exceeds_max_fail(1, 4, 25.0));
        assert!(exceeds_max_fail(2, 4, 25.0));
        assert!(exceeds_max_fail(1, 4, 0.0));
    }
}
