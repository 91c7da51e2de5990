build-stress/obj/src/tools/cmd_mdm.o: src/tools/cmd_mdm.c \
 include/macext/mdm.h include/macext/err.h include/macext/profile.h \
 include/macext/core.h src/tools/tools.h include/macext/store.h
include/macext/mdm.h:
include/macext/err.h:
include/macext/profile.h:
include/macext/core.h:
src/tools/tools.h:
include/macext/store.h:
