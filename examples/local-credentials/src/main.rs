fn main() -> std::process::ExitCode {
    ocm_example_local_credentials::main()
}
