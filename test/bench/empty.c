/* The baseline: a static program that does nothing, built with the runtime's toolchain. */
int main(void)
{
    return 0;
}
