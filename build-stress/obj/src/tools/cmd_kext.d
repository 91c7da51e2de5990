build-stress/obj/src/tools/cmd_kext.o: src/tools/cmd_kext.c \
 include/macext/bundle.h include/macext/err.h include/macext/codesign.h \
 src/tools/kext_tools.h include/macext/fileset.h \
 include/macext/cs_blobs.h include/macext/kext.h include/macext/core.h \
 src/tools/boot_tools.h include/macext/boot.h src/tools/tools.h \
 include/macext/store.h
include/macext/bundle.h:
include/macext/err.h:
include/macext/codesign.h:
src/tools/kext_tools.h:
include/macext/fileset.h:
include/macext/cs_blobs.h:
include/macext/kext.h:
include/macext/core.h:
src/tools/boot_tools.h:
include/macext/boot.h:
src/tools/tools.h:
include/macext/store.h:
