//! A play's `order:` keyword: the order in which its hosts are batched and run (`inventory`,
//! `reverse_inventory`, `sorted`, `reverse_sorted`, `shuffle`).

use serde_json::Value;

/// `hosts` (in inventory order) rearranged as `order` asks.
pub fn ordered(mut hosts: Vec<String>, order: Option<&Value>) -> Result<Vec<String>, String> {
    let order = match order {
        None | Some(Value::Null) => return Ok(hosts),
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(format!(
                "Invalid 'order' specified for inventory hosts: {other}"
            ))
        }
    };
    match order {
        "inventory" => {}
        "reverse_inventory" => hosts.reverse(),
        "sorted" => hosts.sort(),
        "reverse_sorted" => {
            hosts.sort();
            hosts.reverse();
        }
        "shuffle" => shuffle(&mut hosts),
        other => {
            return Err(format!(
                "Invalid 'order' specified for inventory hosts: {other}"
            ))
        }
    }
    Ok(hosts)
}

/// Fisher-Yates with the system's randomness.
fn shuffle(hosts: &mut [String]) {
    for i in (1..hosts.len()).rev() {
        let mut bytes = [0u8; 8];
        if getrandom::fill(&mut bytes).is_err() {
            return;
        }
        let j = (u64::from_le_bytes(bytes) % (i as u64 + 1)) as usize;
        hosts.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hosts() -> Vec<String> {
        ["w2", "d1", "w1"].iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn orders() {
        let get = |o: &str| ordered(hosts(), Some(&json!(o))).unwrap();
        assert_eq!(get("inventory"), ["w2", "d1", "w1"]);
        assert_eq!(get("reverse_inventory"), ["w1", "d1", "w2"]);
        assert_eq!(get("sorted"), ["d1", "w1", "w2"]);
        assert_eq!(get("reverse_sorted"), ["w2", "w1", "d1"]);
        let mut s = get("shuffle");
        s.sort();
        assert_eq!(s, ["d1", "w1", "w2"]);
        assert!(ordered(hosts(), Some(&json!("bogus"))).is_err());
    }
}
