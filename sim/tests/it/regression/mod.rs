//! Regressions, named by issue and case: each failed before its fix. One file per concern:
//! bad input, runs and their reports, sweeps.

mod bad_input;
mod runs;
mod sweeps;

/// A MobileNet-shaped layer table with one of each of MobileNet-v1's operators, at 32 x 32.
pub const MINI_MOBILENET: &str = "name,op,from,channels,height,width,kernel,stride,padding,groups
input,input,,3,32,32,,,,
conv0,conv,,8,,,3,2,1,1
dw1,conv,,8,,,3,1,1,8
pw1,conv,,16,,,1,1,0,1
dw2,conv,,16,,,3,2,1,16
pw2,conv,,16,,,1,1,0,1
pool,avgpool,,,,,global,,,
fc,fc,,16,,,,,,
";
