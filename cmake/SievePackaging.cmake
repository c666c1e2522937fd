# Install layout and the Debian package. Included last from the root CMakeLists.txt.
#
#   cmake --install BUILD --prefix /usr/local     # or the default /usr/local
#   cpack --config BUILD/CPackConfig.cmake        # -> BUILD/sieve_<version>_<arch>.deb
#
# Layout under the prefix (the .deb uses /usr):
#   bin/                          sieve, sieve-broker, sieve-collector, sieve-worker,
#                                 sieve-classifier, sieve-label-file
#   share/sieve/                  the default classifier model (DefaultModelPath() looks there)
#   share/sieve/examples/         example configurations, copied to /etc/sieve by the package's
#                                 postinst when absent: broker.env, collector.env, worker.env
#                                 (deploy/systemd/) and broker.toml, collector.toml, worker.toml,
#                                 classifier.toml (each daemon's --print-config of its defaults,
#                                 generated at build time so they never drift from the flags)
#   lib/systemd/system/           sieve-broker.service, sieve-collector.service,
#                                 sieve-worker@.service
#   lib/sysusers.d/sieve.conf     the `sieve` system user the units run as
#   lib/python3/dist-packages/sieve/   the Python module `import sieve` (python/, when built;
#                                 SIEVE_PYTHON_INSTALL_DIR), for Debian's python3
include(GNUInstallDirs)

install(TARGETS sieve sieve-broker sieve-collector sieve-worker sieve-classifier sieve-label-file
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_BINARY_DIR}/classifier/sieve-classifier-model.bin
        DESTINATION ${CMAKE_INSTALL_DATADIR}/sieve)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/deploy/systemd/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/sieve/examples
        FILES_MATCHING PATTERN "*.env")

# Example TOML files: `--print-config` of each daemon with the data directory its unit uses.
set(sieve_example_tomls)
foreach(daemon broker collector worker classifier)
  set(toml ${PROJECT_BINARY_DIR}/examples/${daemon}.toml)
  add_custom_command(
    OUTPUT ${toml}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/examples
    # env -i: no SIEVE_* variable of the build machine leaks into the example.
    COMMAND env -i SIEVE_DATA_DIR=/var/lib/sieve/${daemon}
            $<TARGET_FILE:sieve-${daemon}> --print-config > ${toml}
    DEPENDS sieve-${daemon}
    COMMENT "Writing the example configuration ${daemon}.toml"
    VERBATIM)
  list(APPEND sieve_example_tomls ${toml})
endforeach()
add_custom_target(sieve_example_configs ALL DEPENDS ${sieve_example_tomls})
install(FILES ${sieve_example_tomls} DESTINATION ${CMAKE_INSTALL_DATADIR}/sieve/examples)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/deploy/systemd/
        DESTINATION lib/systemd/system
        FILES_MATCHING PATTERN "*.service")
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/sieve.sysusers
        DESTINATION lib/sysusers.d RENAME sieve.conf)
install(FILES ${PROJECT_SOURCE_DIR}/docs/deploy.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sieve)
set(CPACK_PACKAGE_VENDOR "Sieve")
set(CPACK_PACKAGE_CONTACT "Sieve maintainers <sieve@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "distributed worker queue labelling CSV rows through HTTP inference endpoints")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # sieve_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/sieve")
# Runtime libraries: the packages of the executables' ELF NEEDED entries on Debian 12, listed
# by hand because dpkg-shlibdeps cannot be trusted here: bookworm's libspdlog1.10 shlibs file
# names a package that does not exist (libspdlog1.10-fmt9), which made the .deb uninstallable.
# tests/deploy/package_test.py fails when a NEEDED library's package is missing from this list
# and when dpkg would refuse the result.
set(sieve_deb_depends libc6 libstdc++6 libgcc-s1 libzmq5 libcurl4 libsqlite3-0 libspdlog1.10
    libfmt9 libprometheus-cpp-core1.0 libcpp-httplib0.11 libssl3)
if(SIEVE_SANITIZE)
  list(APPEND sieve_deb_depends libasan8 libubsan1)
endif()
if(SIEVE_BUILD_PYTHON)
  # The extension is built for this Python's ABI (cpython-3XY); pandas makes the DataFrames
  # sieve.run returns and tqdm draws its progress bar, but `import sieve` works without them.
  math(EXPR sieve_python_next_minor "${Python3_VERSION_MINOR} + 1")
  list(APPEND sieve_deb_depends
       "python3 (>= ${Python3_VERSION_MAJOR}.${Python3_VERSION_MINOR})"
       "python3 (<< ${Python3_VERSION_MAJOR}.${sieve_python_next_minor})")
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3-pandas, python3-tqdm")
endif()
list(JOIN sieve_deb_depends ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
# Strip the executables (RelWithDebInfo builds carry DWARF): a ~10x smaller package.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/deploy/systemd/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
