fn main() -> std::process::ExitCode {
    ocm_example_oci_repository::main()
}
