//! `hearth bench match`: the batch-placement solver on DIMACS files, for comparison with
//! OR-Tools (bench/match.sh).

use anyhow::Context as _;
use std::time::Instant;

/// `hearth bench match`: solve a DIMACS placement instance (refusing other shapes with the
/// line at fault) and print `cost=N solve=S.SSs`, the solve alone timed; or generate one.
pub fn placement(
    dimacs: Option<&std::path::Path>,
    generate: Option<&str>,
    out: Option<&std::path::Path>,
) -> anyhow::Result<std::process::ExitCode> {
    if let (Some(spec), Some(out)) = (generate, out) {
        let numbers: Vec<u64> = spec
            .split(',')
            .map(str::trim)
            .map(str::parse)
            .collect::<Result<_, _>>()
            .context("--generate takes CLIENTS,GROUPS,CANDIDATES,CAPACITY,SEED")?;
        let [clients, groups, k, capacity, seed] = numbers[..] else {
            anyhow::bail!("--generate takes CLIENTS,GROUPS,CANDIDATES,CAPACITY,SEED");
        };
        let problem = hearth_domain::generate_placement_problem(
            usize::try_from(clients)?,
            usize::try_from(groups)?,
            usize::try_from(k)?,
            u32::try_from(capacity)?,
            seed,
        );
        std::fs::write(out, hearth_domain::to_dimacs(&problem))
            .with_context(|| format!("writing {}", out.display()))?;
        println!(
            "wrote {} clients x {} groups to {}",
            problem.clients(),
            problem.groups(),
            out.display()
        );
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let path = dimacs.context("give --dimacs FILE to solve, or --generate … --out FILE")?;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let problem = match hearth_domain::parse_dimacs(&text) {
        Ok(problem) => problem,
        Err(err) => {
            eprintln!("error: {}: {err}", path.display());
            return Ok(std::process::ExitCode::from(2));
        }
    };
    let started = Instant::now();
    let solution = hearth_domain::solve_placement(&problem);
    let elapsed = started.elapsed().as_secs_f64();
    println!("cost={} solve={elapsed:.2}s", solution.total_cost);
    Ok(std::process::ExitCode::SUCCESS)
}
